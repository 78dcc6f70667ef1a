//! The `police-api` command line. Every option is also an environment variable.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use police_generate::{generate, GenerateOptions};
use police_index::Month;
use police_store::db;
use police_store::db::ImportListener;
use police_store::import::{
    import_paths, imported_file_count, FileKind, ImportOptions, ImportSummary,
    DEFAULT_MAX_REJECTED_SHARE,
};
use police_store::snapshot::Snapshot;

use crate::openapi::openapi_json;
use crate::progress::Progress;
use crate::refresh::Refresher;
use crate::server::{self, ServerOptions};
use crate::signals;
use crate::state::{AppState, Limits};
use crate::store::Store;

/// A self-hostable, police.uk-compatible REST API server.
///
/// Without DATABASE_URL, police-api runs its own PostgreSQL in --data-dir (initialised on
/// first use, stopped on exit); `initdb` and `postgres` must be on PATH or under
/// /usr/lib/postgresql/*/bin.
#[derive(Debug, Parser)]
#[command(name = "police-api", version, propagate_version = true)]
pub struct Cli {
    /// PostgreSQL to use instead of the embedded one, e.g. postgres://user:pass@host/db.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Where the embedded PostgreSQL (and the demo archive) live.
    #[arg(long, env = "POLICE_DATA_DIR", global = true, default_value = "police-api-data")]
    pub data_dir: PathBuf,

    /// How log lines on stderr are written: `human` (a sentence a line, then key=value
    /// fields) or `json` (one object a line). The import's progress bars and summary are
    /// not log lines and stay as they are.
    #[arg(long, env = "POLICE_LOG_FORMAT", global = true, value_enum, default_value = "human")]
    pub log_format: crate::logging::LogFormat,

    /// One log line per request (method, route, status, bytes, duration, request id): `on`
    /// or `off`. Requests are counted in /metrics either way.
    #[arg(long, env = "POLICE_ACCESS_LOG", global = true, default_value = "on",
          value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub access_log: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API from the store (the production entry point).
    Serve(ServeArgs),
    /// One command for a first look: embedded PostgreSQL, a generated demo archive imported
    /// on first run, then serving.
    Demo(DemoArgs),
    /// Import police.uk bulk archive files: .zip as downloaded, folders, .csv or .csv.gz.
    Import(ImportArgs),
    /// Fetch police.uk's archive (resuming an interrupted download), verify it, import its
    /// new or changed months and drop those outside --keep-months.
    Sync(SyncArgs),
    /// Apply pending database migrations.
    Migrate(MigrateArgs),
    /// Write a synthetic archive in the exact police.uk format.
    Generate(GenerateArgs),
    /// Print the OpenAPI document (as committed in openapi/openapi.json).
    Openapi,
    /// Manage API keys (for serve --require-keys and --rate-limit per-key).
    Keys {
        #[command(subcommand)]
        command: crate::keys_command::KeysCommand,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "POLICE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// HTTP worker threads (default: one per CPU).
    #[arg(long, env = "POLICE_WORKERS")]
    pub workers: Option<usize>,
    /// Most results an area query returns; more answer 503 as on police.uk. 0: no cap.
    #[arg(long, env = "POLICE_MAX_RESULTS", default_value_t = 10_000)]
    pub max_results: usize,
    /// Longest request line accepted, in bytes (police.uk: 4,094; longer ones answer 414);
    /// at most 65,536, the most the HTTP layer parses.
    #[arg(long, env = "POLICE_MAX_REQUEST_LINE", default_value_t = 65_536,
          value_parser = clap::value_parser!(u32).range(256..=65_536))]
    pub max_request_line: u32,
    /// Custom downloads (/api/v2/download) run at once, each on a thread and three database
    /// connections of its own; more answer 503 with Retry-After.
    #[arg(long, env = "POLICE_MAX_DOWNLOADS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub max_downloads: u32,
    /// Seconds a request body may take to arrive whole; then 408 and the connection closed.
    #[arg(long, env = "POLICE_BODY_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout: u64,
    /// Seconds a client may read nothing of an answer being sent; then the connection is
    /// dropped.
    #[arg(long, env = "POLICE_SEND_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub send_timeout: u64,
    /// Open connections one client address may hold; more are answered 429 and closed.
    #[arg(long, env = "POLICE_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections_per_client: u32,
    /// MiB of answers held in memory for clients still reading them, over all connections;
    /// beyond, 503 with Retry-After. 0: no cap.
    #[arg(long, env = "POLICE_MAX_MIB_IN_FLIGHT", default_value_t = 512)]
    pub max_mib_in_flight: u64,
    /// Seconds to let the requests in flight finish after SIGTERM or SIGINT (no new
    /// connections are accepted meanwhile); those still open then are closed.
    #[arg(long, env = "POLICE_SHUTDOWN_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_timeout: u64,
    /// Base map tiles of the web front end (`/`): a raster tile URL template with {z}, {x}
    /// and {y}, or `none` for boundaries and crimes on a plain background (offline).
    #[arg(long, env = "POLICE_TILES", default_value = crate::frontend::OPENSTREETMAP_TILES,
          value_parser = crate::frontend::parse_tiles)]
    pub tiles: crate::frontend::Tiles,
    /// Sync from --sync-source at start and then this often (30s, 15m, 24h, 7d), in this
    /// process; a failed sync changes nothing and is logged and counted in /metrics. Off
    /// unless given.
    #[arg(long, env = "POLICE_SYNC_EVERY", value_parser = crate::sync::parse_interval)]
    pub sync_every: Option<Duration>,
    /// The archive --sync-every fetches: a URL, or a local zip or folder.
    #[arg(long, env = "POLICE_SYNC_SOURCE",
          default_value = police_store::sync::LATEST_ARCHIVE_URL)]
    pub sync_source: String,
    /// The retention window of --sync-every: months older than the newest this many are
    /// dropped after each sync. 0: keep everything.
    #[arg(long, env = "POLICE_SYNC_KEEP_MONTHS",
          default_value_t = crate::sync::DEFAULT_KEEP_MONTHS)]
    pub sync_keep_months: u32,
    /// A read replica (hot standby) of DATABASE_URL to load snapshots and serve custom
    /// downloads from; imports are still heard on DATABASE_URL (a standby cannot LISTEN),
    /// and each is loaded once the replica has replayed it. Default: DATABASE_URL itself.
    #[arg(long, env = "POLICE_SNAPSHOT_DATABASE_URL")]
    pub snapshot_database_url: Option<String>,
    #[command(flatten)]
    pub access: crate::access_control::AccessArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Seed of the generated demo archive.
    #[arg(long, env = "POLICE_DEMO_SEED", default_value_t = 2024)]
    pub seed: u64,
    /// Let the demo use DATABASE_URL: migrate it and, when it holds no crimes, import the
    /// synthetic demo archive (240,000 made-up crimes) into it. Without this flag, `demo`
    /// with DATABASE_URL set refuses before touching that database.
    #[arg(long)]
    pub into_database_url: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Archive zips, folders, or monthly CSV files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Files imported at once, each on its own connection (default: one per CPU).
    #[arg(long, env = "POLICE_IMPORT_JOBS")]
    pub jobs: Option<usize>,
    /// A new version of a file already imported replaces it only if at most this share of
    /// its rows (0 to 1) is rejected and every row reads as CSV; otherwise the imported
    /// version stays and the file is reported as refused.
    #[arg(long, env = "POLICE_IMPORT_MAX_REJECTED_SHARE", default_value_t = DEFAULT_MAX_REJECTED_SHARE, value_parser = parse_share)]
    pub max_rejected_share: f64,
    /// Exit 0 even when rows were rejected (they are reported either way); without it, any
    /// rejected row makes the exit status 3.
    #[arg(long)]
    pub accept_rejections: bool,
    /// Keep only the newest this many months: older files are not imported, and months older
    /// than that are removed from the store (one transaction) after an import without
    /// problems. police.uk's API keeps 36. 0: keep everything.
    #[arg(long, env = "POLICE_IMPORT_KEEP_MONTHS", default_value_t = 0)]
    pub keep_months: u32,
    /// Test aid: abort each file's COPY with an error after this many rows.
    #[arg(long, hide = true)]
    pub fail_after_rows: Option<u64>,
    /// Test aid: pause inside each file's transaction after this many rows.
    #[arg(long, hide = true)]
    pub pause_after_rows: Option<u64>,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The archive: a URL (police.uk's latest by default), or a local zip or folder
    /// (a path or file:// URL). Downloads go to <data dir>/downloads.
    #[arg(long, env = "POLICE_SYNC_SOURCE",
          default_value = police_store::sync::LATEST_ARCHIVE_URL)]
    pub source: String,
    /// Keep only the newest this many months (police.uk's API: 36): older files are not
    /// imported, and older months are removed from the store in one transaction after an
    /// import without problems. 0: keep everything.
    #[arg(long, env = "POLICE_SYNC_KEEP_MONTHS",
          default_value_t = crate::sync::DEFAULT_KEEP_MONTHS)]
    pub keep_months: u32,
    /// Files imported at once, each on its own connection (default: one per CPU).
    #[arg(long, env = "POLICE_IMPORT_JOBS")]
    pub jobs: Option<usize>,
    /// As for `import`.
    #[arg(long, env = "POLICE_IMPORT_MAX_REJECTED_SHARE", default_value_t = DEFAULT_MAX_REJECTED_SHARE, value_parser = parse_share)]
    pub max_rejected_share: f64,
    /// Exit 0 even when rows were rejected; without it, any rejected row makes the exit
    /// status 3.
    #[arg(long)]
    pub accept_rejections: bool,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Revert every migration instead (drops all data).
    #[arg(long)]
    pub revert_all: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Start from a preset; the other options override it.
    #[arg(long, value_enum, default_value = "demo")]
    pub preset: Preset,
    /// Random seed: the same seed gives the same bytes.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Comma-separated force ids.
    #[arg(long, value_delimiter = ',')]
    pub forces: Option<Vec<String>>,
    /// First month, YYYY-MM.
    #[arg(long)]
    pub first_month: Option<Month>,
    /// Number of consecutive months.
    #[arg(long)]
    pub months: Option<u32>,
    /// Street-level crimes per month, over all forces.
    #[arg(long)]
    pub crimes_per_month: Option<u64>,
    /// Distinct snap points, over all forces.
    #[arg(long)]
    pub snap_points: Option<u64>,
    /// Neighbourhoods per force.
    #[arg(long)]
    pub neighbourhoods_per_force: Option<u32>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Preset {
    /// A few forces, 12 months, a quarter of a million crimes.
    Demo,
    /// Every force, 500,000 crimes a month over 750,000 snap points (12 months unless
    /// --months says otherwise).
    National,
}

/// Runs a parsed command line; errors are printed, not panicked. `serve` and `demo` first
/// restart themselves once with the allocator setting of [`crate::allocator`].
pub fn run(cli: Cli) -> ExitCode {
    let serving = matches!(cli.command, Command::Serve(_) | Command::Demo(_));
    if serving {
        crate::allocator::reexec_with_mmap_threshold();
    }
    crate::logging::init(cli.log_format, serving);
    crate::access::log_requests(cli.access_log);
    let code = match dispatch(cli) {
        Ok(code) => code,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    };
    crate::logging::flush();
    code
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    // `DATABASE_URL=` (empty) is a variable left blank, not a server: the embedded one.
    let database_url = cli.database_url.as_deref().filter(|url| !url.trim().is_empty());
    if database_url.is_none() && cli.database_url.is_some() {
        tracing::info!(
            "DATABASE_URL is empty: using the embedded PostgreSQL in {}",
            cli.data_dir.display()
        );
    }
    match cli.command {
        Command::Serve(args) => {
            // The address first: a port taken or a malformed --bind is said before any
            // slow work.
            let listener = bind(&args.bind)?;
            let store = Store::open(database_url, &cli.data_dir)?;
            migrate_store(&store)?;
            serve(&store, &args, listener, &cli.data_dir)?;
            store.close()?;
        }
        Command::Demo(args) => demo(database_url, &cli.data_dir, &args)?,
        Command::Import(args) => {
            let store = Store::open_or_join(database_url, &cli.data_dir)?;
            migrate_store(&store)?;
            let defaults = ImportOptions::default();
            let options = ImportOptions {
                workers: args.jobs.unwrap_or(defaults.workers),
                fail_after_rows: args.fail_after_rows,
                pause_after_rows: args.pause_after_rows,
                max_rejected_share: args.max_rejected_share,
                data_dir: store.is_embedded().then(|| cli.data_dir.clone()),
                keep_months: args.keep_months,
            };
            let summary = import_with_progress(&store, &args.paths, &options)?;
            if summary.problems() > 0 {
                if args.keep_months > 0 {
                    eprintln!("retention: not applied, since files were refused or failed");
                }
                return Ok(ExitCode::from(2));
            }
            if args.keep_months > 0 {
                let mut conn = db::connect(&store.database_url)?;
                let retention =
                    police_store::retention::keep_newest_months(&mut conn, args.keep_months)?;
                if let Some(text) = crate::sync::retention_text(&retention, args.keep_months) {
                    eprintln!("{text}");
                }
            }
            return Ok(exit_status(&summary, args.accept_rejections));
        }
        Command::Sync(args) => {
            let store = Store::open_or_join(database_url, &cli.data_dir)?;
            migrate_store(&store)?;
            let defaults = ImportOptions::default();
            let options = crate::sync::SyncOptions {
                source: police_store::sync::Source::parse(&args.source),
                downloads: cli.data_dir.join("downloads"),
                import: ImportOptions {
                    workers: args.jobs.unwrap_or(defaults.workers),
                    max_rejected_share: args.max_rejected_share,
                    data_dir: store.is_embedded().then(|| cli.data_dir.clone()),
                    keep_months: args.keep_months,
                    ..defaults
                },
            };
            let bar = crate::sync::DownloadBar::new();
            let report = crate::sync::run(
                &store.database_url,
                &options,
                &|done, total| bar.update(done, total),
                |archive, fetched| {
                    bar.done();
                    eprintln!("{}", fetched.archive_text(&options.source));
                    import_with_progress(&store, &[archive.to_path_buf()], &options.import)
                },
            );
            bar.done();
            let report = report?;
            let Some(summary) = &report.summary else {
                eprintln!("{}", report.archive_text(&options.source));
                return Ok(ExitCode::SUCCESS);
            };
            match report.retention_text(args.keep_months) {
                Some(text) => eprintln!("{text}"),
                None if args.keep_months > 0 => {
                    eprintln!("retention: not applied, since files were refused or failed")
                }
                None => {}
            }
            return Ok(exit_status(summary, args.accept_rejections));
        }
        Command::Migrate(args) => {
            let store = Store::open_or_join(database_url, &cli.data_dir)?;
            let mut conn = db::connect(&store.database_url)?;
            if args.revert_all {
                let reverted = db::revert_all_migrations(&mut conn)?;
                eprintln!("reverted {} migrations", reverted.len());
            } else {
                let applied = db::run_migrations(&mut conn)?;
                eprintln!("applied {} migrations; the schema is current", applied.len());
            }
        }
        Command::Openapi => print!("{}", openapi_json()),
        Command::Keys { command } => {
            let store = Store::open_or_join(database_url, &cli.data_dir)?;
            migrate_store(&store)?;
            return crate::keys_command::run(&store.database_url, &command);
        }
        Command::Generate(args) => {
            let options = generate_options(&args);
            let started = Instant::now();
            let summary = generate(&options, &args.out)?;
            eprintln!(
                "wrote {} files ({:.1} MB) to {} in {:.1} s: {} street rows, {} outcome rows, \
                 {} stop-and-search rows over {} snap points; {} neighbourhood boundaries",
                summary.files,
                summary.bytes as f64 / 1e6,
                args.out.display(),
                started.elapsed().as_secs_f64(),
                summary.street_rows,
                summary.outcome_rows,
                summary.stop_rows,
                summary.snap_points,
                summary.neighbourhoods,
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `import`'s and `sync`'s exit status: 2 when files were refused or failed, 3 when rows were
/// rejected (unless accepted), else 0.
fn exit_status(summary: &ImportSummary, accept_rejections: bool) -> ExitCode {
    if summary.problems() > 0 {
        return ExitCode::from(2);
    }
    if summary.rows_rejected() > 0 && !accept_rejections {
        eprintln!(
            "{} rows were rejected (listed above) and the files imported without them; \
             exit status 3. Pass --accept-rejections to count that as success.",
            summary.rows_rejected()
        );
        return ExitCode::from(3);
    }
    ExitCode::SUCCESS
}

fn generate_options(args: &GenerateArgs) -> GenerateOptions {
    let mut options = match args.preset {
        Preset::Demo => GenerateOptions::demo(),
        Preset::National => GenerateOptions::national(args.months.unwrap_or(12)),
    };
    if let Some(seed) = args.seed {
        options.seed = seed;
    }
    if let Some(forces) = &args.forces {
        options.forces = forces.clone();
    }
    if let Some(first_month) = args.first_month {
        options.first_month = first_month;
    }
    if let Some(months) = args.months {
        options.months = months;
    }
    if let Some(crimes) = args.crimes_per_month {
        options.crimes_per_month = crimes;
    }
    if let Some(points) = args.snap_points {
        options.snap_points = points;
    }
    if let Some(n) = args.neighbourhoods_per_force {
        options.neighbourhoods_per_force = n;
    }
    options
}

fn migrate_store(store: &Store) -> anyhow::Result<()> {
    let mut conn = db::connect(&store.database_url)?;
    let applied = db::run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!("applied {} migrations", applied.len());
    }
    Ok(())
}

fn import_with_progress(
    store: &Store,
    paths: &[PathBuf],
    options: &ImportOptions,
) -> anyhow::Result<ImportSummary> {
    let progress = Arc::new(Progress::new());
    // A stop signal now: say what was committed and what rolled back, clear the bar.
    let _importing = signals::importing({
        let progress = Arc::clone(&progress);
        move || progress.interrupted()
    });
    let summary = import_paths(&store.database_url, paths, options, progress.as_ref())?;
    progress.finish(&summary);
    Ok(summary)
}

fn load_snapshot(database_url: &str) -> anyhow::Result<Snapshot> {
    let started = Instant::now();
    let snapshot = Snapshot::load(database_url)?;
    tracing::info!(
        version = %snapshot.version,
        "snapshot loaded in {:.2} s: {} crimes at {} snap points, {} months, latest crime month {}",
        started.elapsed().as_secs_f64(),
        snapshot.index.crime_count(),
        snapshot.index.point_count(),
        snapshot.months.len(),
        snapshot.latest_crime_month.map_or("none".to_owned(), |m| m.to_string()),
    );
    Ok(snapshot)
}

/// Listens on `address` (`--bind`).
fn bind(address: &str) -> anyhow::Result<std::net::TcpListener> {
    std::net::TcpListener::bind(address).with_context(|| format!("cannot listen on {address}"))
}

fn serve(
    store: &Store,
    args: &ServeArgs,
    listener: std::net::TcpListener,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let import_listener = ImportListener::connect(&store.database_url)?;
    // Snapshots (and downloads) from a read replica when one is given.
    let snapshot_url = match args.snapshot_database_url.as_deref().map(str::trim) {
        Some("") | None => store.database_url.clone(),
        Some(url) => {
            tracing::info!("snapshots from the read replica {}", police_store::db::redact(url));
            url.to_owned()
        }
    };
    let snapshot = load_snapshot(&snapshot_url)?;
    // Which database, and whether it holds anything: an empty store answers `200 []` to
    // everything, which looks like a working server.
    let which = if store.is_embedded() { "the embedded PostgreSQL" } else { "DATABASE_URL" };
    tracing::info!("store: {which} ({})", store.psql_hint());
    if snapshot.index.crime_count() == 0 && snapshot.stops.stop_count() == 0 {
        tracing::warn!(
            "the store holds no crimes and no stop and search: every data route \
             answers with empty lists until you import some (police-api import <archive>)"
        );
    }
    let limits = Limits {
        max_results: (args.max_results > 0).then_some(args.max_results),
        max_request_line: args.max_request_line as usize,
        body_timeout: std::time::Duration::from_secs(args.body_timeout),
        send_timeout: std::time::Duration::from_secs(args.send_timeout),
        max_connections_per_client: args.max_connections_per_client as usize,
        max_bytes_in_flight: (args.max_mib_in_flight > 0)
            .then(|| usize::try_from(args.max_mib_in_flight << 20).unwrap_or(usize::MAX)),
    };
    let mut state = AppState::new(snapshot, limits)
        .with_store(snapshot_url.clone(), args.max_downloads as usize)
        .with_tiles(args.tiles.clone());
    let (access, _key_watcher) = crate::access_control::start(&args.access, &store.database_url)?;
    if let Some(access) = access {
        state = state.with_access_control(access);
    }
    let state = Arc::new(state);
    let refresher = Refresher::start_reading_from(
        import_listener,
        store.database_url.clone(),
        snapshot_url,
        state.clone(),
    );
    let syncer = match args.sync_every {
        Some(every) => Some(crate::sync::Syncer::start(
            every,
            crate::sync::SyncOptions {
                source: police_store::sync::Source::parse(&args.sync_source),
                downloads: data_dir.join("downloads"),
                import: ImportOptions {
                    // One file at a time: the CPUs are the server's.
                    workers: 1,
                    data_dir: store.is_embedded().then(|| data_dir.to_path_buf()),
                    keep_months: args.sync_keep_months,
                    ..ImportOptions::default()
                },
            },
            store.database_url.clone(),
            state.clone(),
        )?),
        None => None,
    };
    let address = listener.local_addr()?;
    let grace = Duration::from_secs(args.shutdown_timeout);
    let options = ServerOptions {
        workers: args.workers,
        shutdown_timeout: Some(grace),
        blocking_threads: None,
    };
    tracing::info!(
        "serving the police.uk API on http://{address}/api/ and a map on http://{address}/"
    );
    let server = server::build(listener, state, &options)?;
    let serving = signals::serving(server.handle(), grace);
    actix_web::rt::System::new().block_on(server)?;
    drop(serving);
    if let Some(requested) = signals::stop_requested() {
        let waited = requested.elapsed();
        // actix closes what is still open when the grace period runs out.
        if waited + Duration::from_millis(250) >= grace && !grace.is_zero() {
            tracing::warn!(
                "stopped: the grace period ({} s) ran out; the connections still open were closed",
                grace.as_secs()
            );
        } else {
            tracing::info!(
                "stopped: drained, every request in flight was answered ({:.1} s)",
                waited.as_secs_f64()
            );
        }
    }
    // Before the store stops: the refresher must not see the database go.
    drop(syncer);
    drop(refresher);
    Ok(())
}

fn demo(database_url: Option<&str>, data_dir: &Path, args: &DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if let Some(url) = database_url.filter(|_| !args.into_database_url) {
        anyhow::bail!(
            "DATABASE_URL is set ({}): refusing to put the demo's 240,000 made-up crimes into \
             that database. Unset DATABASE_URL to run the demo on its own embedded PostgreSQL \
             in {}, or pass --into-database-url to use that database anyway.",
            db::redact(url),
            data_dir.display()
        );
    }
    let listener = bind(&args.serve.bind)?;
    let store = Store::open(database_url, data_dir)?;
    migrate_store(&store)?;
    if !has_crime_data(&store)? {
        let archive = demo_archive(data_dir, args.seed)?;
        tracing::info!("importing the demo archive from {}", archive.display());
        let options = ImportOptions {
            data_dir: store.is_embedded().then(|| data_dir.to_path_buf()),
            ..ImportOptions::default()
        };
        let summary = import_with_progress(&store, &[archive], &options)?;
        anyhow::ensure!(summary.problems() == 0, "the demo archive did not import cleanly");
    }
    let base = format!("http://{}", listener.local_addr()?);
    tracing::info!(
        "demo ready in {:.1} s. Try:\n  curl {base}/api/forces\n  curl {base}/api/crimes-street-dates\n  \
         curl {base}/api/crime-last-updated\nThe store: {}",
        started.elapsed().as_secs_f64(),
        store.psql_hint(),
    );
    serve(&store, &args.serve, listener, data_dir)
}

fn has_crime_data(store: &Store) -> anyhow::Result<bool> {
    let mut conn = db::connect(&store.database_url)?;
    Ok(imported_file_count(&mut conn, FileKind::Street)? > 0)
}

/// Generates the demo archive under the data directory, once: written to a scratch folder
/// and renamed into place, so an interrupted run never leaves half an archive behind.
fn demo_archive(data_dir: &Path, seed: u64) -> anyhow::Result<PathBuf> {
    let archive = data_dir.join(format!("demo-archive-{seed}"));
    if archive.is_dir() {
        return Ok(archive);
    }
    let scratch = data_dir.join(format!("demo-archive-{seed}.partial"));
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)?;
    }
    let options = GenerateOptions { seed, ..GenerateOptions::demo() };
    let started = Instant::now();
    let summary = generate(&options, &scratch)?;
    std::fs::rename(&scratch, &archive)?;
    tracing::info!(
        "generated the demo archive: {} street rows over {} months in {:.1} s",
        summary.street_rows,
        options.months,
        started.elapsed().as_secs_f64()
    );
    Ok(archive)
}

/// A share from 0 to 1 (`--max-rejected-share`).
fn parse_share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(share),
        _ => Err(format!("expected a number from 0 to 1 (e.g. 0.01 for 1 %), got {text:?}")),
    }
}
