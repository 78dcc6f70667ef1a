//! The v2 statistics on the generated national archive over many months (36 by default:
//! `GenerateOptions::national(36)`, 18 million crimes), indexed in process by
//! `police_benches::InProcessIndex` (no database, no HTTP server).
//!
//! Every statistic is measured twice over the same list of queries:
//!
//! * a per-query distribution: each query answered once, alone, after one unmeasured pass;
//!   p50, p90, p99 and the maximum are printed (the targets are per request: this is the p50
//!   they mean), and a Markdown table of all of them at the end;
//! * criterion, cycling through the queries (its estimate is of the mean over them; its
//!   median, in `target/criterion/statistics/*/new/estimates.json`, is the median of those
//!   sample means).
//!
//! Statistics measured:
//!
//! * `counts_index/circle_36_months`: `CrimeIndex::crime_counts` over one-mile circles
//!   centred on snap points where crimes happened (drawn in proportion to crimes), 36 months;
//!   `…/circle_12_months` the same over 12; `…/force_36_months`: every force (criterion: the
//!   busiest), 36 months; `…/national_12_months`: every crime, 12 months.
//! * `counts_route/…`: the same through `GET /api/v2/crimes/counts` called in process on the
//!   actix app (routing, parameters, counting, the JSON answer; no socket, no middleware).
//! * `lists/…`: `GET /api/v2/crimes` through the actix app in process, the answer's body
//!   read chunk by chunk as a client would (counted, not kept): `circle_12_months_geojson`
//!   (`format=geojson&limit=all`, one-mile circles, 12 months), `circle_12_months_json_pages`
//!   (`format=json&limit=10000`, following `Link: rel="next"` to the last page),
//!   `national_month_csv` (`format=csv&limit=all`, every crime of the latest month). Each
//!   query is answered once alone after an unmeasured pass; printed: p50 latency and MB/s
//!   of output (bytes of the bodies over the time taken, all queries; and the p50 of each
//!   query's own rate). No criterion run: the answers differ in size.
//! * `neighbourhood_index/hotspots_12_months`: `CrimeIndex::crime_hotspots` (the 10 busiest
//!   snap points, every category) inside neighbourhood boundaries spread over the country,
//!   12 months; `…/counts_12_months`: their counts.
//!
//! To add a statistic (hot spots, outcomes, …): write `fn name(bench: &mut Bench<'_>)`
//! like [`counts_index`] (pick its queries from [`National`], call [`Bench::measure`]) and
//! add it to [`STATISTICS`].
//!
//! Environment:
//! * `POLICE_BENCH_MONTHS` (default 36): months of the national archive. Generating and
//!   indexing 36 months takes a few minutes and ~4 GiB of memory at its peak.
//! * `POLICE_BENCH_ARCHIVE`: a folder to keep the generated archive in (generated there on
//!   the first run, ~8.6 GB for 36 months, reused afterwards); without it, the archive is
//!   generated into a temporary folder and deleted once indexed. It may also name any
//!   archive `police-api import` takes, e.g. the load benchmark's.
//! * `POLICE_BENCH_QUERIES` (default 200): queries per list.
//!
//! `cargo bench -p police-benches --bench statistics [-- FILTER]`

use std::future::poll_fn;
use std::hint::black_box;
use std::path::Path;
use std::pin::pin;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::http::header::LINK;
use actix_web::{test, web, App};
use anyhow::Context;
use criterion::{Criterion, SamplingMode};
use police_api::state::{AppState, Limits};
use police_benches::{one_mile_circle, InProcessIndex};
use police_generate::{generate, GenerateOptions};
use police_index::crimes::{CountScope, CrimeIndex, CATEGORY_COUNT};
use police_index::reference::FORCES;
use police_index::spatial::Area;
use police_index::Month;
use police_store::snapshot::Snapshot;
use utoipa_actix_web::AppExt;

/// The statistics measured, in order. Add a new one here.
const STATISTICS: &[fn(&mut Bench<'_>)] =
    &[counts_index, counts_route, neighbourhoods_index, lists];

fn main() -> anyhow::Result<()> {
    let national = National::set_up()?;
    let mut bench = Bench {
        criterion: Criterion::default().configure_from_args(),
        national: &national,
        summary: Vec::new(),
        output_summary: Vec::new(),
        filter: command_line_filter(),
    };
    for statistic in STATISTICS {
        statistic(&mut bench);
    }
    bench.criterion.final_summary();
    bench.print_summary();
    Ok(())
}

/// `CrimeIndex::crime_counts`, the index alone.
fn counts_index(bench: &mut Bench<'_>) {
    let national = bench.national;
    let served = national.state.current();
    let index: &CrimeIndex = &served.index;
    for (name, months, circles) in
        [("circle_36_months", 36, &national.circles), ("circle_12_months", 12, &national.circles)]
    {
        let from = national.months_back(months);
        bench.measure("counts_index", name, circles, |area| {
            index.crime_counts(from, national.latest, CountScope::Area(area))
        });
    }
    let from = national.months_back(36);
    bench.measure("counts_index", "force_36_months", &national.forces, |force| {
        index.crime_counts(from, national.latest, CountScope::Force(force))
    });
    let from = national.months_back(12);
    bench.measure("counts_index", "national_12_months", &[()], |()| {
        index.crime_counts(from, national.latest, CountScope::National)
    });
}

/// A neighbourhood (its boundary, as `force`+`neighbourhood` names it) over 12 months: its
/// hot spots (`CrimeIndex::crime_hotspots`, the 10 busiest snap points) and its counts.
fn neighbourhoods_index(bench: &mut Bench<'_>) {
    let national = bench.national;
    let served = national.state.current();
    let index: &CrimeIndex = &served.index;
    let every_category: Vec<u8> = (0..CATEGORY_COUNT as u8).collect();
    let from = national.months_back(12);
    bench.measure("neighbourhood_index", "hotspots_12_months", &national.neighbourhoods, |area| {
        index.crime_hotspots(from, national.latest, CountScope::Area(area), &every_category, 10)
    });
    bench.measure("neighbourhood_index", "counts_12_months", &national.neighbourhoods, |area| {
        index.crime_counts(from, national.latest, CountScope::Area(area))
    });
}

/// `GET /api/v2/crimes/counts` through the actix app, in process.
fn counts_route(bench: &mut Bench<'_>) {
    let national = bench.national;
    let period =
        |months: u32| format!("from={}&to={}", national.months_back(months), national.latest);
    let circle_paths = |months: u32| -> Vec<String> {
        national
            .circles
            .iter()
            .map(|area| match area {
                Area::Circle { lat, lng, .. } => {
                    format!("/api/v2/crimes/counts?lat={lat:.6}&lng={lng:.6}&{}", period(months))
                }
                other => unreachable!("circles only, not {other:?}"),
            })
            .collect()
    };
    let force_paths: Vec<String> = national
        .forces
        .iter()
        .map(|force| format!("/api/v2/crimes/counts?force={force}&{}", period(36)))
        .collect();
    let national_path = vec![format!("/api/v2/crimes/counts?{}", period(12))];
    for (name, paths) in [
        ("circle_36_months", circle_paths(36)),
        ("circle_12_months", circle_paths(12)),
        ("force_36_months", force_paths),
        ("national_12_months", national_path),
    ] {
        bench.measure("counts_route", name, &paths, |path| national.get(path));
    }
}

/// `GET /api/v2/crimes` through the actix app, in process: MB/s of output.
fn lists(bench: &mut Bench<'_>) {
    let national = bench.national;
    let period = format!("from={}&to={}", national.months_back(12), national.latest);
    let circle_paths = |format: &str| -> Vec<String> {
        national
            .circles
            .iter()
            .map(|area| match area {
                Area::Circle { lat, lng, .. } => {
                    format!("/api/v2/crimes?lat={lat:.6}&lng={lng:.6}&{period}&{format}")
                }
                other => unreachable!("circles only, not {other:?}"),
            })
            .collect()
    };
    let national_month = vec![format!(
        "/api/v2/crimes?from={latest}&to={latest}&format=csv&limit=all",
        latest = national.latest
    )];
    for (name, paths) in [
        ("circle_12_months_geojson", circle_paths("format=geojson&limit=all")),
        ("circle_12_months_json_pages", circle_paths("format=json&limit=10000")),
        ("national_month_csv", national_month),
    ] {
        bench.measure_output("lists", name, &paths, |path| national.get_every_page(path));
    }
}

/// An in-process answer: its status, the length of its body and its `Link: rel="next"` URL.
struct Answer {
    status: u16,
    length: usize,
    next: Option<String>,
}

/// `GET` on the in-process app.
type InProcessGet = Box<dyn Fn(&str) -> Answer>;

/// What every statistic queries: the index served as the API serves it, and query lists.
struct National {
    state: web::Data<AppState>,
    /// The newest month with crimes, the end of every period (periods are 12 or 36 months
    /// whatever the archive holds: months not held are answered as missing).
    latest: Month,
    /// One-mile circles centred on the snap points of crimes of the latest month, drawn in
    /// proportion to crimes (every n-th crime in the index's order).
    circles: Vec<Area>,
    /// Every force with crimes in the index, the busiest first.
    forces: Vec<String>,
    /// Neighbourhood boundaries spread over the country (every n-th of the archive's).
    neighbourhoods: Vec<Area>,
    /// `GET` a path on the actix app, in process: its status and body length.
    get: InProcessGet,
}

impl National {
    fn set_up() -> anyhow::Result<National> {
        let months = env_number("POLICE_BENCH_MONTHS", 36)?;
        let queries = env_number("POLICE_BENCH_QUERIES", 200)? as usize;
        eprintln!("machine: {}", police_benches::machine_description());
        let started = Instant::now();
        let built = match std::env::var_os("POLICE_BENCH_ARCHIVE") {
            Some(folder) => kept_archive(Path::new(&folder), months)?,
            None => {
                eprintln!("setting up: generating and indexing {months} national months");
                InProcessIndex::national(months)?
            }
        };
        let latest = built.latest_crime_month.context("no month of crimes")?;
        let months = built.index.crime_months().count() as u32;
        let index = &built.index;
        eprintln!(
            "data: {months} months to {latest}, {} crimes at {} snap points (set up in {:.0} s)",
            index.crime_count(),
            index.point_count(),
            started.elapsed().as_secs_f64()
        );
        print_memory(index);

        let circles = crime_places(index, latest, queries);
        let forces = forces_busiest_first(index, latest);
        let stride = (built.boundaries.len() / queries.max(1)).max(1);
        let neighbourhoods: Vec<Area> = (0..built.boundaries.len())
            .step_by(stride)
            .take(queries)
            .filter_map(|n| built.boundaries.boundary(n))
            .map(|boundary| Area::Region(std::sync::Arc::clone(boundary)))
            .collect();
        eprintln!(
            "{} neighbourhood boundaries, {} measured",
            built.boundaries.len(),
            neighbourhoods.len()
        );
        let snapshot = Snapshot {
            latest_crime_month: built.latest_crime_month,
            index: built.index.into(),
            ..Snapshot::default()
        };
        let state = web::Data::new(AppState::new(snapshot, Limits::default()));
        let runtime = actix_web::rt::System::new();
        let (app, _openapi) = App::new()
            .app_data(state.clone())
            .into_utoipa_app()
            .configure(police_api::routes::configure)
            .split_for_parts();
        let app = runtime.block_on(test::init_service(app));
        let get = Box::new(move |path: &str| {
            runtime.block_on(async {
                let request = test::TestRequest::get().uri(path).to_request();
                let response = test::call_service(&app, request).await;
                let status = response.status().as_u16();
                let next = response
                    .headers()
                    .get(LINK)
                    .and_then(|link| link.to_str().ok())
                    .and_then(next_link);
                // Chunk by chunk, as a client reads a streamed answer: counted, not kept.
                let mut body = pin!(response.into_body());
                let mut length = 0;
                while let Some(chunk) = poll_fn(|cx| body.as_mut().poll_next(cx)).await {
                    length += chunk.unwrap_or_else(|_| panic!("a chunk of {path} failed")).len();
                }
                Answer { status, length, next }
            })
        });
        Ok(National { state, latest, circles, forces, neighbourhoods, get })
    }

    /// The first month of a period of `months` ending at the latest.
    fn months_back(&self, months: u32) -> Month {
        self.latest.plus(1 - months as i32).unwrap_or(self.latest)
    }

    /// `GET path` on the app: panics unless 200; the body's length.
    fn get(&self, path: &str) -> usize {
        let answer = (self.get)(path);
        assert_eq!(answer.status, 200, "GET {path}");
        answer.length
    }

    /// `GET path`, then every next page its `Link: rel="next"` names: the bodies' length.
    fn get_every_page(&self, path: &str) -> usize {
        let mut next = Some(path.to_owned());
        let mut length = 0;
        while let Some(path) = next {
            let answer = (self.get)(&path);
            assert_eq!(answer.status, 200, "GET {path}");
            length += answer.length;
            next = answer.next;
        }
        length
    }
}

/// The index of the archive kept in `folder`, generated there first when not complete.
fn kept_archive(folder: &Path, months: u32) -> anyhow::Result<InProcessIndex> {
    let complete = folder.join(".complete");
    if !complete.exists() {
        eprintln!("setting up: generating {months} national months into {}", folder.display());
        if folder.exists() {
            std::fs::remove_dir_all(folder)?;
        }
        generate(&GenerateOptions::national(months), folder).context("generating")?;
        std::fs::write(&complete, months.to_string())?;
    }
    eprintln!("setting up: indexing {}", folder.display());
    InProcessIndex::from_archive(folder)
}

fn env_number(name: &str, default: u32) -> anyhow::Result<u32> {
    match std::env::var(name) {
        Ok(text) => text.parse().with_context(|| format!("{name}={text:?} is not a number")),
        Err(_) => Ok(default),
    }
}

/// The index's heap by component, in bytes per crime: what the statistics cost in memory.
fn print_memory(index: &CrimeIndex) {
    let report = index.memory_report();
    let crimes = index.crime_count().max(1) as f64;
    eprintln!("index heap: {:.1} bytes per crime", report.total() as f64 / crimes);
    for (component, bytes) in &report.components {
        eprintln!("  {:>6.2} B/crime  {component}", *bytes as f64 / crimes);
    }
}

/// One-mile circles around the snap points of every n-th located crime of `month`.
fn crime_places(index: &CrimeIndex, month: Month, count: usize) -> Vec<Area> {
    let mut points = Vec::new();
    index.visit_selected(month, &index.select(CountScope::National), |point, _| {
        points.extend(point);
    });
    let stride = (points.len() / count.max(1)).max(1);
    points.iter().step_by(stride).take(count).map(|&p| one_mile_circle(index, p)).collect()
}

/// The forces with crimes in `month`, by their number of crimes, most first.
fn forces_busiest_first(index: &CrimeIndex, month: Month) -> Vec<String> {
    let mut forces: Vec<(u64, String)> = FORCES
        .iter()
        .map(|force| {
            let counts = index.crime_counts(month, month, CountScope::Force(force.id));
            let crimes = counts.iter().flat_map(|m| m.counts.iter().flatten()).sum::<u64>();
            (crimes, force.id.to_owned())
        })
        .filter(|(crimes, _)| *crimes > 0)
        .collect();
    forces.sort_by(|a, b| b.cmp(a));
    forces.into_iter().map(|(_, force)| force).collect()
}

/// Runs the statistics, collecting the per-query figures.
struct Bench<'a> {
    criterion: Criterion,
    national: &'a National,
    summary: Vec<String>,
    /// The rows of [`Bench::measure_output`].
    output_summary: Vec<String>,
    filter: Option<String>,
}

impl Bench<'_> {
    /// Measures `run` over `queries`: once each alone (the distribution), then criterion
    /// cycling through them as `group/name`.
    fn measure<Q, R>(
        &mut self,
        group: &str,
        name: &str,
        queries: &[Q],
        mut run: impl FnMut(&Q) -> R,
    ) {
        let id = format!("{group}/{name}");
        if !self.criterion_filter_matches(&id) {
            return;
        }
        for query in queries {
            black_box(run(query));
        }
        let mut times: Vec<Duration> = queries
            .iter()
            .map(|query| {
                let started = Instant::now();
                black_box(run(black_box(query)));
                started.elapsed()
            })
            .collect();
        times.sort_unstable();
        let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        let row = format!(
            "| `{id}` | {} | {} | {} | {} | {} |",
            times.len(),
            millis(at(0.5)),
            millis(at(0.9)),
            millis(at(0.99)),
            millis(at(1.0))
        );
        eprintln!("{row}");
        self.summary.push(row);

        let mut group = self.criterion.benchmark_group(group);
        if at(0.5) > Duration::from_millis(5) {
            // Slow queries: fewer samples of equal size, not criterion's growing ones.
            group.sample_size(20).sampling_mode(SamplingMode::Flat);
        }
        group.bench_function(name, |b| {
            let mut next = queries.iter().cycle();
            b.iter_with_large_drop(|| run(black_box(next.next().expect("endless"))))
        });
        group.finish();
    }

    /// Whether `id` passes the command line's filter (`cargo bench -- FILTER`, a substring
    /// as criterion takes it), so that the distribution is skipped along with criterion's run.
    fn criterion_filter_matches(&self, id: &str) -> bool {
        self.filter.as_ref().is_none_or(|filter| id.contains(filter.as_str()))
    }

    /// Measures `run` (the bytes of output it makes) over `queries`, once each alone after an
    /// unmeasured pass: p50 and p99 latency, MB/s over them all and the p50 of each query's.
    fn measure_output<Q>(
        &mut self,
        group: &str,
        name: &str,
        queries: &[Q],
        mut run: impl FnMut(&Q) -> usize,
    ) {
        let id = format!("{group}/{name}");
        if !self.criterion_filter_matches(&id) {
            return;
        }
        for query in queries {
            black_box(run(query));
        }
        let mut answers: Vec<(Duration, usize)> = queries
            .iter()
            .map(|query| {
                let started = Instant::now();
                let bytes = black_box(run(black_box(query)));
                (started.elapsed(), bytes)
            })
            .collect();
        let bytes: usize = answers.iter().map(|&(_, bytes)| bytes).sum();
        let seconds: f64 = answers.iter().map(|(time, _)| time.as_secs_f64()).sum();
        let mut rates: Vec<f64> =
            answers.iter().map(|(time, bytes)| *bytes as f64 / time.as_secs_f64() / 1e6).collect();
        rates.sort_by(f64::total_cmp);
        answers.sort_unstable();
        let at = |p: f64| ((answers.len() - 1) as f64 * p).round() as usize;
        let row = format!(
            "| `{id}` | {} | {:.2} | {} | {} | {:.0} | {:.0} |",
            answers.len(),
            bytes as f64 / answers.len() as f64 / 1e6,
            millis(answers[at(0.5)].0),
            millis(answers[at(0.99)].0),
            bytes as f64 / seconds / 1e6,
            rates[at(0.5)],
        );
        eprintln!("{row}");
        self.output_summary.push(row);
    }

    fn print_summary(&self) {
        println!();
        println!("Per query, each alone (ms):");
        println!();
        println!("| statistic | queries | p50 | p90 | p99 | max |");
        println!("|---|---:|---:|---:|---:|---:|");
        for row in &self.summary {
            println!("{row}");
        }
        if !self.output_summary.is_empty() {
            println!();
            println!("Output, each query alone (MB = 10^6 bytes):");
            println!();
            println!(
                "| list | queries | MB per answer | p50 ms | p99 ms | MB/s, all | MB/s, p50 |"
            );
            println!("|---|---:|---:|---:|---:|---:|---:|");
            for row in &self.output_summary {
                println!("{row}");
            }
        }
    }
}

/// The path and query of the URL in `<URL>; rel="next"`.
fn next_link(link: &str) -> Option<String> {
    let url = link.strip_prefix('<')?.split_once(">; rel=\"next\"")?.0;
    let path = url.find("/api/").map_or(url, |start| &url[start..]);
    Some(path.to_owned())
}

/// The first argument that is neither an option nor the value of one of criterion's options
/// that take a value.
fn command_line_filter() -> Option<String> {
    const TAKE_A_VALUE: &[&str] = &[
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--save-baseline",
        "--baseline",
        "--load-baseline",
        "--output-format",
        "--color",
        "--profile-time",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--nresamples",
        "--plotting-backend",
        "--format",
        "--logfile",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    args.iter()
        .enumerate()
        .find(|&(i, arg)| {
            !arg.starts_with('-') && (i == 0 || !TAKE_A_VALUE.contains(&args[i - 1].as_str()))
        })
        .map(|(_, arg)| arg.clone())
}

fn millis(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1e3)
}
