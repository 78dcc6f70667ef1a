//! The black-box test harness: a throwaway PostgreSQL per test process, a fresh database per
//! test cloned from a migrated template, and the location of the real police.uk data; plus
//! the helpers the tests share: [`fixtures`] (writing police.uk files and importing them),
//! [`http`] (the server on a real port, requests and assertions on responses) and
//! [`geometry`] (an independent haversine and point-in-polygon).
//!
//! The tests themselves are one binary, `tests/api/main.rs`, a module per route family.
//!
//! # The server
//!
//! By default each test *process* starts one embedded cluster
//! ([`police_store::embedded`], non-durable: no fsync) in `<tmp>/police-tests-<pid>`, on
//! first use. Nothing stops it explicitly — statics are never dropped — so it relies on the
//! embedded cluster's supervisor, which stops the server once this process is gone however it
//! ends. The directory goes the same way: a small cleanup `sh` (in its own process group, so a
//! terminal's Ctrl-C does not kill it first) blocks reading a pipe whose write end only this
//! process holds; at end-of-file it waits for the server to remove its `postmaster.pid`, then
//! deletes the directory. As a fallback, the first [`test_database`] call of every run also
//! deletes `police-tests-*` directories whose owner is gone (their lock is free).
//!
//! With `DATABASE_URL` set, that server is used instead; per-test databases are created on it
//! and their URLs derived by replacing the database name in `DATABASE_URL`.
//!
//! # Databases
//!
//! On first use the template database `police_template` gets every migration (under an
//! advisory lock, so concurrent test processes sharing an external server do not race). Each
//! [`test_database`] then runs `CREATE DATABASE test_<n>_<pid> TEMPLATE police_template`, and
//! dropping the [`TestDatabase`] drops it `WITH (FORCE)`.

// A library for tests only: a failed `unwrap` in a helper is a failed test, as meant.
#![allow(clippy::unwrap_used)]

pub mod fixtures;
pub mod geojson;
pub mod geometry;
pub mod http;
pub mod skip;

pub use skip::report_skip;

use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::sql_types::Bool;
use diesel::RunQueryDsl;
use police_store::embedded::{EmbeddedOptions, EmbeddedPostgres};

/// The database every test database is cloned from.
pub const TEMPLATE_DATABASE: &str = "police_template";

/// Where the real police.uk data lives, relative to the workspace root.
pub const SHARED_DATA_RELATIVE: &str = "../shared/data/police-uk";

/// Arbitrary key of the advisory lock guarding the template database.
const TEMPLATE_LOCK_KEY: i64 = 0x706f_6c69_6365; // "police"
const TEMP_DIR_PREFIX: &str = "police-tests-";

/// A fresh database with every migration applied, dropped when this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    /// The libpq URL of the database.
    pub url: String,
    /// The database's name (`test_<n>_<pid>`).
    pub name: String,
}

impl TestDatabase {
    /// A new connection to the database; panics when that fails.
    pub fn connect(&self) -> PgConnection {
        police_store::db::connect(&self.url)
            .unwrap_or_else(|e| panic!("connecting to test database {}: {e:#}", self.name))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let result = police_store::db::connect(&server().admin_url).and_then(|mut admin| {
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                .execute(&mut admin)
                .context("DROP DATABASE")
        });
        if let Err(err) = result {
            eprintln!("police-tests: could not drop test database {}: {err:#}", self.name);
        }
    }
}

/// Calls `fetch` every `interval` until `done` holds for what it gave, and returns that;
/// panics with the last value after `timeout`. For what a server does a moment after the
/// client has its answer (counting a request, reloading a snapshot).
pub fn poll_until<T: std::fmt::Debug>(
    timeout: std::time::Duration,
    interval: std::time::Duration,
    mut fetch: impl FnMut() -> T,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let value = fetch();
        if done(&value) {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "not reached in {timeout:?}: {value:?}");
        std::thread::sleep(interval);
    }
}

/// A fresh database on this process's test server (see the module docs), cloned from the
/// migrated template. Panics when the server or the database cannot be set up.
pub fn test_database() -> TestDatabase {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let server = server();
    let name = format!("test_{}_{}", COUNTER.fetch_add(1, Ordering::Relaxed), std::process::id());
    let result = police_store::db::connect(&server.admin_url).and_then(|mut admin| {
        // Shared: clones may run together, but not while the template is being migrated.
        diesel::sql_query(format!("SELECT pg_advisory_lock_shared({TEMPLATE_LOCK_KEY})"))
            .execute(&mut admin)?;
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE_DATABASE}"))
            .execute(&mut admin)
            .with_context(|| format!("CREATE DATABASE {name}"))?;
        Ok(())
    });
    if let Err(err) = result {
        panic!("creating test database {name}: {err:#}");
    }
    TestDatabase { url: server.url_for(&name), name }
}

/// The test server's URL for the database `database`.
pub fn database_url(database: &str) -> String {
    server().url_for(database)
}

/// The real police.uk data folder (`../shared/data/police-uk` from the workspace root, or
/// `$POLICE_SHARED_DATA`), canonicalised; None when absent.
pub fn shared_data_dir() -> Option<PathBuf> {
    let candidate = match std::env::var_os("POLICE_SHARED_DATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(SHARED_DATA_RELATIVE),
    };
    let dir = fs::canonicalize(candidate).ok()?;
    dir.is_dir().then_some(dir)
}

/// Evaluates to the real police.uk data folder, or reports the skip
/// (`SKIPPED <test>: ../shared/data/police-uk not found`, see [`report_skip`]) and returns
/// from the calling test
/// (with the given value, e.g. `skip_without_shared_data!(Ok(()))`, for tests returning one).
#[macro_export]
macro_rules! skip_without_shared_data {
    () => {
        $crate::skip_without_shared_data!(())
    };
    ($ret:expr) => {
        match $crate::shared_data_dir() {
            Some(dir) => dir,
            None => {
                $crate::report_skip(&format!(
                    "{} not found (or set POLICE_SHARED_DATA)",
                    $crate::SHARED_DATA_RELATIVE
                ));
                return $ret;
            }
        }
    };
}

struct Server {
    /// A database for CREATE/DROP DATABASE and the template's advisory lock.
    admin_url: String,
    kind: ServerKind,
}

enum ServerKind {
    /// Held for the life of the process, with the cleanup script's pipe.
    Embedded {
        cluster: EmbeddedPostgres,
        _cleanup: Option<ChildStdin>,
    },
    External {
        url: String,
    },
}

impl Server {
    fn url_for(&self, database: &str) -> String {
        match &self.kind {
            ServerKind::Embedded { cluster, .. } => cluster.url_for(database),
            ServerKind::External { url } => with_database(url, database),
        }
    }
}

/// The process's server, set up on first use. A failure is kept, not retried: every test
/// then fails with the same message.
fn server() -> &'static Server {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        let server = start_server()
            .map_err(|e| format!("cannot set up the test PostgreSQL server: {e:#}"))?;
        prepare_template(&server)
            .map_err(|e| format!("cannot prepare {TEMPLATE_DATABASE}: {e:#}"))?;
        Ok(server)
    });
    match server {
        Ok(server) => server,
        Err(message) => panic!("{message}"),
    }
}

fn start_server() -> anyhow::Result<Server> {
    if let Some(url) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        return Ok(Server { admin_url: url.clone(), kind: ServerKind::External { url } });
    }
    remove_stale_temp_dirs();
    let dir = std::env::temp_dir().join(format!("{TEMP_DIR_PREFIX}{}", std::process::id()));
    if dir.exists() {
        // Left by a dead process that had our pid.
        fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    // 0755: when we are root the server runs as `postgres`, which must be able to enter it.
    fs::DirBuilder::new()
        .mode(0o755)
        .create(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    // Started first, so that the directory goes even if we die while the cluster starts.
    let cleanup = match spawn_cleanup(&dir, &EmbeddedPostgres::cluster_dir_in(&dir)) {
        Ok(stdin) => Some(stdin),
        Err(err) => {
            eprintln!("police-tests: {} will outlive this process: {err:#}", dir.display());
            None
        }
    };
    let cluster = EmbeddedPostgres::start(EmbeddedOptions { data_dir: dir, durable: false })?;
    Ok(Server {
        admin_url: cluster.url_for("postgres"),
        kind: ServerKind::Embedded { cluster, _cleanup: cleanup },
    })
}

/// Starts the script that deletes `dir` once this process is gone and the server with it.
fn spawn_cleanup(dir: &Path, cluster_dir: &Path) -> anyhow::Result<ChildStdin> {
    const SCRIPT: &str = r#"read -r _
i=0
while [ -e "$2/postmaster.pid" ] && [ "$i" -lt 300 ]; do
    sleep 0.1 2>/dev/null || sleep 1
    i=$((i + 1))
done
# Retried: an initdb cut short may still be writing there.
for _ in 1 2 3 4 5; do
    rm -rf "$1" 2>/dev/null && break
    sleep 1
done
"#;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(SCRIPT)
        .arg("sh")
        .arg(dir)
        .arg(cluster_dir)
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .context("cannot start the cleanup sh")?;
    child.stdin.take().context("no pipe to the cleanup sh")
}

/// Deletes `police-tests-*` directories of earlier runs whose owner is gone. The owner holds
/// the embedded cluster's lock file until it exits, so a lock we can take means it is gone.
fn remove_stale_temp_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(TEMP_DIR_PREFIX)) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if pid == std::process::id() {
            continue;
        }
        let path = entry.path();
        let owner_gone = match fs::File::open(path.join("police-api.lock")) {
            Ok(file) => file.try_lock().is_ok(),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                !Path::new(&format!("/proc/{pid}")).exists()
            }
            Err(_) => false,
        };
        if owner_gone {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// Creates the template database when missing and applies pending migrations to it.
fn prepare_template(server: &Server) -> anyhow::Result<()> {
    let mut admin = police_store::db::connect(&server.admin_url)?;
    diesel::sql_query(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"))
        .execute(&mut admin)?;
    let exists: bool = diesel::select(diesel::dsl::sql::<Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{TEMPLATE_DATABASE}')"
    )))
    .get_result(&mut admin)?;
    if !exists {
        diesel::sql_query(format!("CREATE DATABASE {TEMPLATE_DATABASE}"))
            .execute(&mut admin)
            .with_context(|| format!("CREATE DATABASE {TEMPLATE_DATABASE}"))?;
    }
    {
        // Dropped before cloning: a template with open connections cannot be cloned.
        let mut template = police_store::db::connect(&server.url_for(TEMPLATE_DATABASE))?;
        police_store::db::run_migrations(&mut template)?;
    }
    diesel::sql_query(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"))
        .execute(&mut admin)?;
    Ok(())
}

/// `url` with its database replaced by `database`; handles both libpq URIs
/// (`postgres://user@host:port/db?params`) and keyword/value strings (`host=... dbname=...`).
pub fn with_database(url: &str, database: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let after_scheme = scheme_end + 3;
        let authority_end =
            url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |i| after_scheme + i);
        let rest = &url[authority_end..];
        let rest = match rest.strip_prefix('/') {
            Some(path_and_more) => {
                let path_end = path_and_more.find(['?', '#']).unwrap_or(path_and_more.len());
                &path_and_more[path_end..]
            }
            None => rest,
        };
        format!("{}/{}{rest}", &url[..authority_end], encode_path_segment(database))
    } else {
        let mut words: Vec<String> = url
            .split_whitespace()
            .filter(|word| !word.starts_with("dbname="))
            .map(str::to_owned)
            .collect();
        words.push(format!("dbname={database}"));
        words.join(" ")
    }
}

fn encode_path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/police", "t_1"),
            "postgres://u:p@h:5432/t_1"
        );
        assert_eq!(
            with_database("postgresql://u@h/police?sslmode=disable", "t_1"),
            "postgresql://u@h/t_1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t_1"), "postgres://u@h/t_1");
        assert_eq!(with_database("postgres://u@h?x=1", "t_1"), "postgres://u@h/t_1?x=1");
        assert_eq!(
            with_database("postgresql:///police?host=/tmp/s&user=postgres", "t_1"),
            "postgresql:///t_1?host=/tmp/s&user=postgres"
        );
        assert_eq!(
            with_database("host=/tmp dbname=police user=me", "t_1"),
            "host=/tmp user=me dbname=t_1"
        );
    }
}
