//! An embedded PostgreSQL cluster: what `police-api` runs when no `DATABASE_URL` is given,
//! and what the test suite uses.
//!
//! # Layout
//!
//! Everything lives in the data dir given in [`EmbeddedOptions::data_dir`]:
//!
//! * `police-api.lock` — held with an exclusive `flock` for the whole life of an
//!   [`EmbeddedPostgres`]; it holds the owner's pid, so a second process gets a clear
//!   "data dir in use by another police-api (pid N)" error instead of two owners sharing one
//!   cluster. The owner removes it when it stops the cluster, on every path but `kill -9`
//!   (a file left behind is harmless: the lock is an `flock`, released by the kernel with
//!   the process, and a new owner checks that the file it locked is still the one in place).
//!   Another `police-api` (an `import` while `serve` runs) can reach the running cluster
//!   through its socket: [`running_cluster_url`].
//! * `pgdata/` — the cluster (`initdb -U postgres --auth=trust -E UTF8 --locale=C`), created
//!   on first use (into `pgdata.initdb/`, renamed when complete, so a crashed `initdb` never
//!   leaves a half-made cluster behind).
//! * `run/` — the Unix socket directory (mode 0700), when `run/.s.PGSQL.5432` fits the 107-byte
//!   `sun_path` limit; otherwise a private directory `/tmp/police-pg-<uid>-<hash of data dir>`.
//!   The server listens on no TCP address at all (`listen_addresses=''`).
//! * `postgres.log` — the server's log (rotated to `postgres.log.old` beyond 16 MiB).
//!
//! # Running as root
//!
//! PostgreSQL refuses to run as root. When our effective uid is 0, `initdb` and the server run
//! as the `postgres` system user (or `nobody` when there is none; looked up with `getpwnam`
//! through `nix`), via `CommandExt::uid/gid`; the cluster and socket directories are chowned
//! to that user. If that user cannot reach the data dir (some parent, say `/root`, is not
//! traversable) start fails, naming the directory and suggesting another `--data-dir`. An
//! ordinary user runs everything as itself.
//!
//! # Never leaving a server behind
//!
//! The owner does not start `postgres` directly. It starts a tiny supervising `sh` (as the
//! cluster user, in a process group of its own so a terminal's Ctrl-C reaches only the owner,
//! which then stops the cluster in order). The shell starts the postmaster as its child, reports
//! its pid on stdout, and then waits for it. A watcher subshell blocks reading the shell's
//! standard input, which is a pipe whose only write end is held by the owner (close-on-exec,
//! so no other child inherits it). When that pipe reaches end-of-file — because the owner
//! stopped the cluster, dropped it, exited without running destructors (a `static` in a test
//! process), panicked, or was killed with `kill -9` — the watcher sends SIGINT (fast shutdown)
//! to the postmaster. The kernel closes the pipe whatever way the owner goes, so there is no
//! polling, no pid-reuse race on the owner's pid and no dependence on which thread spawned the
//! server (unlike `PR_SET_PDEATHSIG`). The shell reaps the postmaster itself, so its pid
//! cannot be reused while the shell lives.
//!
//! A normal [`EmbeddedPostgres::stop`] uses the same path: it closes the pipe, then waits up to
//! 30 s for the shell to exit (the postmaster has then exited, after all its children); past
//! that it sends SIGQUIT (immediate shutdown) to the postmaster, and finally SIGKILL to the
//! whole process group.
//!
//! The unit tests below check this by running an owner in a child process and both killing it
//! with SIGKILL and letting it `exit` with the cluster in a `static`: the postmaster is gone
//! within seconds and the data dir can be started again.
//!
//! # Restarting a dead server
//!
//! A monitor thread polls the supervisor every 250 ms. When the postmaster dies while the
//! owner still wants it (say `kill -9`), the monitor logs once ("the embedded PostgreSQL
//! exited unexpectedly (…); restarting it"), stops what is left of it as below and starts it
//! again, waiting 0.5 s before the first attempt and doubling the wait after each failed one
//! up to 30 s; it logs again only when the state changes (restarted, or the first failure).
//!
//! # Recovering from a crash
//!
//! Once we hold the lock, no other owner is alive. Before starting, any PostgreSQL process
//! still running in our cluster directory (a `postgres` process whose working directory is the
//! cluster, found through `/proc`) — say a postmaster whose supervisor was killed too — is
//! stopped: SIGINT to the postmaster (SIGTERM to orphaned backends), then SIGQUIT and SIGKILL
//! if it lingers. A `postmaster.pid` naming a dead process is left for PostgreSQL, which
//! handles it; one whose pid now belongs to an unrelated live process is removed, since
//! PostgreSQL would otherwise refuse to start.

use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use nix::errno::Errno;
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::{geteuid, Pid, User};

/// The database the API uses, created on start when missing.
pub const DATABASE: &str = "police";

/// The superuser `initdb` creates, and the user in every URL we hand out.
const SUPERUSER: &str = "postgres";
/// The port only names the socket file (`.s.PGSQL.<port>`): there is no TCP listener.
const PORT: u16 = 5432;
/// Longest socket path a `sockaddr_un` holds (108 bytes with the terminating NUL).
const MAX_SOCKET_PATH: usize = 107;
const LOCK_FILE: &str = "police-api.lock";
const CLUSTER_DIR: &str = "pgdata";
const INITDB_DIR: &str = "pgdata.initdb";
const SOCKET_DIR: &str = "run";
const LOG_FILE: &str = "postgres.log";
const LOG_ROTATE_BYTES: u64 = 16 << 20;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const FAST_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
const IMMEDIATE_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the monitor checks that the server still runs.
const WATCH_INTERVAL: Duration = Duration::from_millis(250);
/// Wait before the first restart of a dead server; doubled after each failed attempt.
const RESTART_FIRST_DELAY: Duration = Duration::from_millis(500);
/// The longest wait between two restart attempts.
const RESTART_MAX_DELAY: Duration = Duration::from_secs(30);

/// The supervising shell. `$1` is the log file, the rest the postmaster's command line.
/// Standard input is a pipe from the owner; end-of-file on it means "stop".
const SUPERVISOR_SCRIPT: &str = r#"log=$1
shift
exec 3<&0 </dev/null
"$@" 3<&- >>"$log" 2>&1 &
pg=$!
echo "$pg"
exec >/dev/null
{ read -r _ <&3; kill -INT "$pg" 2>/dev/null; } &
watcher=$!
exec 3<&-
wait "$pg"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
"#;

/// How to run the embedded cluster.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Where the cluster, its socket, lock and log live; created when missing.
    pub data_dir: PathBuf,
    /// `false` turns off `fsync`, `synchronous_commit` and `full_page_writes`: fast, and fine
    /// for throwaway test clusters, but a machine crash may corrupt the cluster.
    pub durable: bool,
}

impl EmbeddedOptions {
    /// Durable options for `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self { data_dir: data_dir.into(), durable: true }
    }
}

/// A running PostgreSQL cluster owned by this process; stopped by [`EmbeddedPostgres::stop`],
/// on drop, through a [`ShutdownHandle`], or (by its supervisor) when this process goes away.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    cluster_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    state: Arc<Mutex<State>>,
}

/// Stops the cluster from anywhere, e.g. a Ctrl-C handler thread, before the process exits.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    /// The running server; `None` once stopped, and while the monitor restarts a dead one.
    supervisor: Option<Supervisor>,
    /// A socket directory under /tmp that we made, removed after the server stops.
    private_socket_dir: Option<PathBuf>,
    /// Set by [`shutdown`]: the monitor restarts nothing any more.
    stopped: bool,
    /// The data dir's lock, released (and its file removed) once the server has stopped.
    lock: Option<DataDirLock>,
}

/// The data dir's `flock`ed lock file; dropping it removes the file, then unlocks.
#[derive(Debug)]
struct DataDirLock {
    /// Holds the `flock`; closed (unlocking) after the file is removed.
    _file: File,
    path: PathBuf,
}

impl Drop for DataDirLock {
    fn drop(&mut self) {
        // Removed while still locked: a process waiting on this file finds, once it gets the
        // lock, that the path no longer names it, and locks a new file (see lock_data_dir).
        let _ = fs::remove_file(&self.path);
    }
}

/// "data dir … is in use by another police-api (pid N)": the error [`EmbeddedPostgres::start`]
/// returns when another process owns the data dir (see [`running_cluster_url`]).
#[derive(Debug)]
pub struct DataDirInUse {
    /// The data dir.
    pub data_dir: PathBuf,
    /// The owner's pid as written in the lock file ("unknown" when it is empty).
    pub owner: String,
}

impl std::fmt::Display for DataDirInUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "data dir {} is in use by another police-api (pid {}); stop it or choose another \
             data dir",
            self.data_dir.display(),
            self.owner
        )
    }
}

impl std::error::Error for DataDirInUse {}

/// How to (re)start the server: everything the monitor needs to start it again.
#[derive(Debug, Clone)]
struct Launch {
    postgres: PathBuf,
    args: Vec<String>,
    data_dir: PathBuf,
    cluster_dir: PathBuf,
    log_file: PathBuf,
    url: String,
    run_as: Option<RunAs>,
}

#[derive(Debug)]
struct Supervisor {
    child: Child,
    /// Our end of the pipe whose end-of-file tells the supervisor to stop the server.
    stdin: Option<ChildStdin>,
    postmaster_pid: u32,
}

/// The unprivileged account the server runs as when we are root.
#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

#[derive(Debug)]
struct Binaries {
    initdb: PathBuf,
    postgres: PathBuf,
}

/// Where a new cluster's `initdb` and `postgres` would be taken from (see
/// [`EmbeddedPostgres::start`]): their directory, or an error saying they were not found. Lets
/// a caller that can do without PostgreSQL (a benchmark) check before doing any other work.
pub fn server_binaries_dir() -> anyhow::Result<PathBuf> {
    let binaries = find_binaries(None)?;
    Ok(binaries.initdb.parent().map(Path::to_path_buf).unwrap_or_default())
}

impl EmbeddedPostgres {
    /// Initializes the cluster on first use, starts it, waits until it accepts connections and
    /// creates the `police` database when missing.
    pub fn start(options: EmbeddedOptions) -> anyhow::Result<EmbeddedPostgres> {
        let data_dir = &options.data_dir;
        fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
        let data_dir = fs::canonicalize(data_dir)
            .with_context(|| format!("cannot resolve data dir {}", data_dir.display()))?;
        let lock = lock_data_dir(&data_dir)?;

        let run_as = if effective_uid() == 0 { Some(unprivileged_user()?) } else { None };
        if let Some(user) = &run_as {
            check_reachable(user, &data_dir)?;
        }

        let cluster_dir = data_dir.join(CLUSTER_DIR);
        let existing_version = cluster_version(&cluster_dir)?;
        let binaries = find_binaries(existing_version)?;
        if existing_version.is_none() {
            init_cluster(&data_dir, &binaries, run_as.as_ref(), options.durable)?;
        }
        if let Some(user) = &run_as {
            let meta = fs::metadata(&cluster_dir)?;
            if meta.uid() != user.uid {
                chown_recursive(&cluster_dir, user)?;
            }
        }

        stop_stale_server(&cluster_dir)?;

        let (socket_dir, private_socket_dir) = prepare_socket_dir(&data_dir, run_as.as_ref())?;
        let log_file = data_dir.join(LOG_FILE);
        let mut args: Vec<String> = vec!["-D".into(), path_str(&cluster_dir)?.to_owned()];
        for setting in server_settings(&socket_dir, options.durable)? {
            args.push("-c".into());
            args.push(setting);
        }
        let launch = Launch {
            postgres: binaries.postgres,
            args,
            url: url_in(&socket_dir, "postgres"),
            data_dir: data_dir.clone(),
            cluster_dir: cluster_dir.clone(),
            log_file: log_file.clone(),
            run_as,
        };
        let state = Arc::new(Mutex::new(State {
            supervisor: None,
            private_socket_dir,
            stopped: false,
            lock: Some(lock),
        }));
        // From here on, dropping `pg` (on any error below) stops whatever was started and
        // releases the data dir.
        let pg = EmbeddedPostgres { data_dir, cluster_dir, socket_dir, log_file, state };
        let log_start = {
            let mut state = lock_state(&pg.state);
            let (supervisor, log_start) = spawn_supervisor(&launch)?;
            state.supervisor = Some(supervisor);
            log_start
        };
        let mut conn = wait_until_ready(&pg.state, &launch, log_start)?;
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{DATABASE}')"
        )))
        .get_result(&mut conn)
        .context("cannot list the databases of the embedded PostgreSQL")?;
        if !exists {
            diesel::sql_query(format!("CREATE DATABASE {DATABASE}"))
                .execute(&mut conn)
                .with_context(|| format!("cannot create the database {DATABASE}"))?;
        }
        let monitored = Arc::clone(&pg.state);
        std::thread::Builder::new()
            .name("postgres-monitor".into())
            .spawn(move || monitor(&monitored, &launch))
            .context("cannot start the thread that watches PostgreSQL")?;
        Ok(pg)
    }

    /// The libpq URL of the `police` database.
    pub fn database_url(&self) -> String {
        self.url_for(DATABASE)
    }

    /// The libpq URL of any database of this cluster, as superuser `postgres`, over the socket.
    pub fn url_for(&self, database: &str) -> String {
        url_in(&self.socket_dir, database)
    }

    /// The directory holding the server's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The (canonical) data dir.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The PostgreSQL cluster directory (`PGDATA`) inside the data dir.
    pub fn cluster_dir(&self) -> &Path {
        &self.cluster_dir
    }

    /// Where the cluster directory (`PGDATA`) of data dir `data_dir` is, started or not.
    pub fn cluster_dir_in(data_dir: &Path) -> PathBuf {
        data_dir.join(CLUSTER_DIR)
    }

    /// Where the server's log of data dir `data_dir` is, started or not.
    pub fn log_file_in(data_dir: &Path) -> PathBuf {
        data_dir.join(LOG_FILE)
    }

    /// The server's log file.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// The postmaster's pid (of the latest restart); 0 while the server is down.
    pub fn pid(&self) -> u32 {
        lock_state(&self.state).supervisor.as_ref().map_or(0, |s| s.postmaster_pid)
    }

    /// A handle that can stop the cluster from another thread (e.g. a Ctrl-C handler).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle { state: Arc::clone(&self.state) }
    }

    /// Stops the server (fast shutdown: open sessions are ended, transactions rolled back)
    /// and releases the data dir.
    pub fn stop(self) -> anyhow::Result<()> {
        shutdown(&self.state)
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(err) = shutdown(&self.state) {
            tracing::warn!("stopping the embedded PostgreSQL: {err:#}");
        }
    }
}

impl ShutdownHandle {
    /// Stops the server if it still runs and waits until it has; idempotent.
    pub fn shutdown(&self) -> anyhow::Result<()> {
        shutdown(&self.state)
    }

    /// Like [`ShutdownHandle::shutdown`], reporting a failure on stderr: for signal handlers
    /// that are about to exit anyway.
    pub fn stop(&self) {
        if let Err(err) = self.shutdown() {
            tracing::warn!("stopping the embedded PostgreSQL: {err:#}");
        }
    }

    /// Whether the server was started and not yet stopped through us.
    pub fn is_running(&self) -> bool {
        lock_state(&self.state).supervisor.is_some()
    }
}

fn lock_state(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn shutdown(state: &Mutex<State>) -> anyhow::Result<()> {
    let mut state = lock_state(state);
    state.stopped = true;
    let result = match state.supervisor.take() {
        Some(supervisor) => stop_supervisor(supervisor),
        None => Ok(()),
    };
    if let Some(dir) = state.private_socket_dir.take() {
        let _ = fs::remove_dir_all(dir);
    }
    // The server is down: release the data dir (and remove the lock file).
    drop(state.lock.take());
    result
}

/// The libpq URL of `database` on the server listening in `socket_dir`.
fn url_in(socket_dir: &Path, database: &str) -> String {
    format!(
        "postgresql://{SUPERUSER}@/{}?host={}&port={PORT}",
        percent_encode(database),
        percent_encode(&socket_dir.to_string_lossy())
    )
}

/// Starts the supervising shell and the postmaster under it; returns it and the offset in
/// the log where this run's output starts.
fn spawn_supervisor(launch: &Launch) -> anyhow::Result<(Supervisor, u64)> {
    let (log, log_start) = open_log(&launch.log_file, launch.run_as.as_ref())?;
    let mut command = Command::new("sh");
    command
        // The serving process's allocator setting (police-api's `allocator` module) is not
        // PostgreSQL's.
        .env_remove("MALLOC_MMAP_THRESHOLD_")
        .arg("-c")
        .arg(SUPERVISOR_SCRIPT)
        .arg("sh")
        .arg(&launch.log_file)
        .arg(&launch.postgres)
        .args(&launch.args)
        .current_dir(&launch.cluster_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log.try_clone()?))
        .process_group(0);
    if let Some(user) = &launch.run_as {
        command.uid(user.uid).gid(user.gid);
    }
    let mut child = command.spawn().context("cannot start PostgreSQL's supervising sh")?;
    let stdin = child.stdin.take();
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        BufReader::new(stdout).read_line(&mut line)?;
    }
    let mut supervisor = Supervisor { child, stdin, postmaster_pid: 0 };
    match line.trim().parse::<u32>() {
        Ok(pid) => {
            supervisor.postmaster_pid = pid;
            Ok((supervisor, log_start))
        }
        Err(_) => {
            let _ = stop_supervisor(supervisor);
            bail!(
                "PostgreSQL's supervising sh did not report the server's pid\n{}",
                log_tail(&launch.log_file, log_start)
            )
        }
    }
}

/// Polls until the server started by the supervisor in `state` accepts connections; returns a
/// connection to `postgres`. Fails when it exits, when the cluster is being stopped, or after
/// [`STARTUP_TIMEOUT`].
fn wait_until_ready(
    state: &Mutex<State>,
    launch: &Launch,
    log_start: u64,
) -> anyhow::Result<PgConnection> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        match PgConnection::establish(&launch.url) {
            Ok(conn) => return Ok(conn),
            Err(err) => {
                let exited = {
                    let mut state = lock_state(state);
                    let stopped = state.stopped;
                    match state.supervisor.as_mut() {
                        Some(s) if !stopped => s.child.try_wait()?.is_some(),
                        _ => true,
                    }
                };
                if exited {
                    bail!(
                        "PostgreSQL exited during startup (cluster {})\n{}",
                        launch.cluster_dir.display(),
                        log_tail(&launch.log_file, log_start)
                    );
                }
                if Instant::now() >= deadline {
                    bail!(
                        "PostgreSQL did not accept connections within {} s ({err}; cluster {})\n{}",
                        STARTUP_TIMEOUT.as_secs(),
                        launch.cluster_dir.display(),
                        log_tail(&launch.log_file, log_start)
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// The monitor thread: restarts the server when it dies, until the cluster is stopped.
fn monitor(state: &Mutex<State>, launch: &Launch) {
    loop {
        std::thread::sleep(WATCH_INTERVAL);
        let exit = {
            let mut state = lock_state(state);
            if state.stopped {
                return;
            }
            let Some(supervisor) = state.supervisor.as_mut() else { return };
            match supervisor.child.try_wait() {
                Ok(Some(status)) => status,
                Ok(None) | Err(_) => continue,
            }
        };
        tracing::warn!(
            "the embedded PostgreSQL exited unexpectedly ({}); restarting it (the \
             API answers from memory meanwhile; imports wait for it)",
            describe_exit(exit)
        );
        let mut delay = RESTART_FIRST_DELAY;
        let mut failed_once = false;
        loop {
            let until = Instant::now() + delay;
            while Instant::now() < until {
                if lock_state(state).stopped {
                    return;
                }
                std::thread::sleep(WATCH_INTERVAL.min(delay));
            }
            match restart(state, launch) {
                Ok(pid) => {
                    tracing::info!("the embedded PostgreSQL restarted (pid {pid})");
                    break;
                }
                Err(_) if lock_state(state).stopped => return,
                Err(err) => {
                    if !failed_once {
                        tracing::warn!(
                            "restarting the embedded PostgreSQL failed: {err:#}; retrying, at \
                             most every {} s, without logging each try",
                            RESTART_MAX_DELAY.as_secs()
                        );
                        failed_once = true;
                    }
                    delay = (delay * 2).min(RESTART_MAX_DELAY);
                }
            }
        }
    }
}

/// One restart of a dead server: what is left of it stopped, then started anew; the new
/// postmaster's pid once it accepts connections.
fn restart(state: &Mutex<State>, launch: &Launch) -> anyhow::Result<u32> {
    let log_start = {
        let mut state = lock_state(state);
        if state.stopped {
            bail!("the cluster is being stopped");
        }
        // Whatever remains (the exited supervisor, orphaned backends still attached to the
        // old shared memory) would keep the new postmaster from starting.
        if let Some(old) = state.supervisor.take() {
            let _ = stop_supervisor(old);
        }
        stop_stale_server(&launch.cluster_dir)?;
        prepare_socket_dir(&launch.data_dir, launch.run_as.as_ref())?;
        let (supervisor, log_start) = spawn_supervisor(launch)?;
        state.supervisor = Some(supervisor);
        log_start
    };
    match wait_until_ready(state, launch, log_start) {
        Ok(_) => Ok(lock_state(state).supervisor.as_ref().map_or(0, |s| s.postmaster_pid)),
        Err(err) => {
            let mut state = lock_state(state);
            if let Some(failed) = state.supervisor.take() {
                let _ = stop_supervisor(failed);
            }
            Err(err)
        }
    }
}

/// "killed by signal 9 (SIGKILL)" or "exit status 1", from the supervising shell's status
/// (which is the postmaster's, or 128 + the signal that killed it).
fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    let signal_name = |n: i32| Signal::try_from(n).map_or(format!("{n}"), |s| format!("{n} ({s})"));
    match (status.code(), status.signal()) {
        (Some(code), _) if code > 128 => format!("killed by signal {}", signal_name(code - 128)),
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => {
            format!("its supervising shell was killed by signal {}", signal_name(signal))
        }
        (None, None) => status.to_string(),
    }
}

/// The URL of the `police` database of the cluster that another live `police-api` runs in
/// `data_dir` (it holds the data dir's lock), with that owner's pid; `None` when no process
/// holds the data dir. Lets `import` reach the cluster of a running `serve`.
pub fn running_cluster_url(data_dir: &Path) -> anyhow::Result<Option<(String, String)>> {
    let Ok(data_dir) = fs::canonicalize(data_dir) else { return Ok(None) };
    let path = data_dir.join(LOCK_FILE);
    let mut file = match OpenOptions::new().read(true).open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err).with_context(|| format!("cannot open {}", path.display())),
    };
    match file.try_lock_shared() {
        Ok(()) => return Ok(None), // nobody holds it (a file left by a `kill -9`)
        Err(fs::TryLockError::WouldBlock) => {}
        Err(fs::TryLockError::Error(err)) => {
            return Err(err).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
    let mut owner = String::new();
    let _ = file.read_to_string(&mut owner);
    let (socket_dir, _) = socket_dir_for(&data_dir);
    Ok(Some((url_in(&socket_dir, DATABASE), owner.trim().to_owned())))
}

fn stop_supervisor(mut supervisor: Supervisor) -> anyhow::Result<()> {
    // End-of-file on the supervisor's stdin: it sends SIGINT to the postmaster.
    drop(supervisor.stdin.take());
    if wait_child(&mut supervisor.child, FAST_SHUTDOWN_TIMEOUT)? {
        return Ok(());
    }
    let pid = supervisor.postmaster_pid;
    tracing::warn!(
        "PostgreSQL (pid {pid}) did not stop within {} s; immediate shutdown",
        FAST_SHUTDOWN_TIMEOUT.as_secs()
    );
    // The supervisor has not exited, so it has not reaped the postmaster: the pid is still
    // the postmaster's (alive or a zombie).
    if pid > 0 {
        send_signal(pid, Signal::SIGQUIT);
    }
    if wait_child(&mut supervisor.child, IMMEDIATE_SHUTDOWN_TIMEOUT)? {
        return Ok(());
    }
    send_signal_to_group(supervisor.child.id(), Signal::SIGKILL);
    supervisor.child.wait()?;
    bail!("PostgreSQL (pid {pid}) had to be killed with SIGKILL")
}

/// Waits up to `timeout` for `child` to exit; true when it has.
fn wait_child(child: &mut Child, timeout: Duration) -> anyhow::Result<bool> {
    let deadline = Instant::now() + timeout;
    loop {
        if child.try_wait()?.is_some() {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Takes the data dir's lock, writing our pid into the lock file.
fn lock_data_dir(data_dir: &Path) -> anyhow::Result<DataDirLock> {
    let path = data_dir.join(LOCK_FILE);
    // A lock released a moment ago can still be held by a process that forked from ours and
    // has not yet exec'd (the copy of the descriptor closes at exec): allow it a moment.
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let mut attempt = file.try_lock();
        while matches!(attempt, Err(fs::TryLockError::WouldBlock)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            attempt = file.try_lock();
        }
        match attempt {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let owner =
                    if holder.is_empty() { "unknown".to_owned() } else { holder.to_owned() };
                return Err(DataDirInUse { data_dir: data_dir.to_owned(), owner }.into());
            }
            Err(fs::TryLockError::Error(err)) => {
                return Err(err).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        // The owner before us removes the file before unlocking it: if the path no longer
        // names the file we locked, lock the one now there (or a new one).
        let locked = file.metadata()?;
        let same = fs::metadata(&path)
            .map(|now| now.dev() == locked.dev() && now.ino() == locked.ino())
            .unwrap_or(false);
        if !same {
            continue;
        }
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        writeln!(file, "{}", std::process::id())?;
        return Ok(DataDirLock { _file: file, path });
    }
}

/// The major version of the cluster in `cluster_dir`, None when there is no cluster yet.
fn cluster_version(cluster_dir: &Path) -> anyhow::Result<Option<u32>> {
    match fs::read_to_string(cluster_dir.join("PG_VERSION")) {
        Ok(text) => {
            let version = text.trim().parse::<u32>().map_err(|_| {
                anyhow!("unexpected PG_VERSION {:?} in {}", text.trim(), cluster_dir.display())
            })?;
            Ok(Some(version))
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            if cluster_dir.exists() && fs::read_dir(cluster_dir)?.next().is_some() {
                bail!(
                    "{} exists but holds no PostgreSQL cluster (no PG_VERSION); move it away",
                    cluster_dir.display()
                );
            }
            Ok(None)
        }
        Err(err) => Err(err).with_context(|| format!("cannot read {}", cluster_dir.display())),
    }
}

fn init_cluster(
    data_dir: &Path,
    binaries: &Binaries,
    run_as: Option<&RunAs>,
    durable: bool,
) -> anyhow::Result<()> {
    let cluster_dir = data_dir.join(CLUSTER_DIR);
    if cluster_dir.exists() {
        fs::remove_dir(&cluster_dir)?; // empty: checked by cluster_version
    }
    let staging = data_dir.join(INITDB_DIR);
    if staging.exists() {
        fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    fs::DirBuilder::new()
        .mode(0o700)
        .create(&staging)
        .with_context(|| format!("cannot create {}", staging.display()))?;
    if let Some(user) = run_as {
        std::os::unix::fs::chown(&staging, Some(user.uid), Some(user.gid))?;
    }
    let mut command = Command::new(&binaries.initdb);
    command
        .env_remove("MALLOC_MMAP_THRESHOLD_")
        .arg("-D")
        .arg(&staging)
        .args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C"])
        .current_dir(&staging)
        .stdin(Stdio::null());
    if !durable {
        command.arg("--no-sync");
    }
    if let Some(user) = run_as {
        command.uid(user.uid).gid(user.gid);
    }
    let output =
        command.output().with_context(|| format!("cannot run {}", binaries.initdb.display()))?;
    if !output.status.success() {
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        bail!(
            "initdb failed ({}) for {}:\n{}",
            output.status,
            staging.display(),
            tail_lines(&text, 30)
        );
    }
    fs::rename(&staging, &cluster_dir)
        .with_context(|| format!("cannot rename {} into place", staging.display()))?;
    Ok(())
}

/// The settings the server starts with: private socket only, sized for analytic queries.
fn server_settings(socket_dir: &Path, durable: bool) -> anyhow::Result<Vec<String>> {
    let socket_dir = path_str(socket_dir)?.replace('"', "\"\"");
    let mut settings: Vec<String> = vec![
        "listen_addresses=".into(),
        format!("port={PORT}"),
        format!("unix_socket_directories=\"{socket_dir}\""),
        "unix_socket_permissions=0700".into(),
        "max_connections=100".into(),
        "shared_buffers=256MB".into(),
        "work_mem=32MB".into(),
        "maintenance_work_mem=256MB".into(),
        "effective_cache_size=1GB".into(),
        "wal_level=minimal".into(),
        "max_wal_senders=0".into(),
        "max_wal_size=2GB".into(),
        "checkpoint_timeout=15min".into(),
        "jit=off".into(),
        "logging_collector=off".into(),
        "log_destination=stderr".into(),
        "log_line_prefix=%m [%p] ".into(),
    ];
    if !durable {
        settings.extend(
            ["fsync=off", "synchronous_commit=off", "full_page_writes=off"].map(String::from),
        );
    }
    Ok(settings)
}

/// Picks the socket directory: `<data dir>/run` when the socket path fits, else a private
/// directory under /tmp. Returns it and, for the latter, the directory to remove on stop.
fn prepare_socket_dir(
    data_dir: &Path,
    run_as: Option<&RunAs>,
) -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
    let socket_file = format!(".s.PGSQL.{PORT}");
    let (dir, private) = socket_dir_for(data_dir);
    let owner = run_as.map_or_else(effective_uid, |u| u.uid);
    match fs::symlink_metadata(&dir) {
        Ok(meta) => {
            let acceptable = meta.is_dir()
                && (meta.uid() == owner || meta.uid() == effective_uid())
                && meta.mode() & 0o077 == 0;
            if !acceptable {
                bail!(
                    "socket directory {} is not a private (mode 0700) directory of ours; \
                     remove it",
                    dir.display()
                );
            }
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .mode(0o700)
                .create(&dir)
                .with_context(|| format!("cannot create socket directory {}", dir.display()))?;
        }
        Err(err) => return Err(err).with_context(|| format!("cannot inspect {}", dir.display())),
    }
    if let Some(user) = run_as {
        std::os::unix::fs::chown(&dir, Some(user.uid), Some(user.gid))?;
    }
    // We hold the data dir's lock and no server of ours runs any more: any socket or socket
    // lock file here is stale (and a stale lock file naming a live pid would block startup).
    for stale in [socket_file.clone(), format!("{socket_file}.lock")] {
        match fs::remove_file(dir.join(&stale)) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err).context("cannot remove a stale socket file"),
        }
    }
    let private_dir = private.then(|| dir.clone());
    Ok((dir, private_dir))
}

/// The socket directory of (canonical) `data_dir`, and whether it is a private one under
/// /tmp (see [`prepare_socket_dir`]).
fn socket_dir_for(data_dir: &Path) -> (PathBuf, bool) {
    let inside = data_dir.join(SOCKET_DIR);
    if inside.join(format!(".s.PGSQL.{PORT}")).as_os_str().len() <= MAX_SOCKET_PATH {
        (inside, false)
    } else {
        let name = format!(
            "police-pg-{}-{:016x}",
            effective_uid(),
            fnv1a(data_dir.as_os_str().as_encoded_bytes())
        );
        (PathBuf::from("/tmp").join(name), true)
    }
}

/// Opens the log for appending (rotating a large one); returns it and the offset where this
/// run's output starts.
fn open_log(path: &Path, run_as: Option<&RunAs>) -> anyhow::Result<(File, u64)> {
    if fs::metadata(path).map(|m| m.len() > LOG_ROTATE_BYTES).unwrap_or(false) {
        let mut old = path.as_os_str().to_owned();
        old.push(".old");
        let _ = fs::rename(path, old);
    }
    // The log holds SQL (statements in errors): readable by its owner only, also when an
    // older version of this program created it readable by all.
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    if let Some(user) = run_as {
        std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))?;
    }
    let start = file.metadata()?.len();
    Ok((file, start))
}

/// The last lines the server logged since `start`, for error messages.
fn log_tail(path: &Path, start: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        let _ = file.seek(SeekFrom::Start(start));
        let mut bytes = Vec::new();
        let _ = file.read_to_end(&mut bytes);
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    if text.trim().is_empty() {
        format!("(nothing in the server log {})", path.display())
    } else {
        format!("last lines of {}:\n{}", path.display(), tail_lines(&text, 20))
    }
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Stops any PostgreSQL process still running in `cluster_dir` (left by an owner that died
/// without its supervisor getting to stop it), and removes a `postmaster.pid` whose pid now
/// belongs to an unrelated live process.
fn stop_stale_server(cluster_dir: &Path) -> anyhow::Result<()> {
    let pid_file = cluster_dir.join("postmaster.pid");
    let recorded_pid = fs::read_to_string(&pid_file)
        .ok()
        .and_then(|text| text.lines().next().and_then(|l| l.trim().parse::<u32>().ok()));
    let mut procs = cluster_processes(cluster_dir);
    if !procs.is_empty() {
        match recorded_pid.filter(|pid| procs.contains(pid)) {
            Some(postmaster) => {
                tracing::warn!(
                    "stopping PostgreSQL (pid {postmaster}) left running in {}",
                    cluster_dir.display()
                );
                send_signal(postmaster, Signal::SIGINT);
            }
            None => {
                tracing::warn!(
                    "stopping orphaned PostgreSQL processes {procs:?} in {}",
                    cluster_dir.display()
                );
                for &pid in &procs {
                    send_signal(pid, Signal::SIGTERM);
                }
            }
        }
        for (timeout, signal) in [
            (FAST_SHUTDOWN_TIMEOUT, Some(Signal::SIGQUIT)),
            (IMMEDIATE_SHUTDOWN_TIMEOUT, Some(Signal::SIGKILL)),
            (IMMEDIATE_SHUTDOWN_TIMEOUT, None),
        ] {
            let deadline = Instant::now() + timeout;
            while !procs.is_empty() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
                procs = cluster_processes(cluster_dir);
            }
            if procs.is_empty() {
                break;
            }
            let Some(signal) = signal else {
                bail!(
                    "PostgreSQL processes {procs:?} still run in {} and would not stop",
                    cluster_dir.display()
                );
            };
            for &pid in &procs {
                send_signal(pid, signal);
            }
        }
    }
    if let Some(pid) = recorded_pid {
        if process_alive(pid) && !cluster_processes(cluster_dir).contains(&pid) {
            // The pid was reused by an unrelated process; PostgreSQL would refuse to start.
            fs::remove_file(&pid_file)
                .with_context(|| format!("cannot remove stale {}", pid_file.display()))?;
        }
    }
    Ok(())
}

/// Live PostgreSQL processes whose working directory is `cluster_dir` (the postmaster chdirs
/// there and its children inherit it). Zombies have no readable cwd and are not listed.
fn cluster_processes(cluster_dir: &Path) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    let me = std::process::id();
    let mut pids = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(cwd) = fs::read_link(entry.path().join("cwd")) else { continue };
        if cwd != cluster_dir {
            continue;
        }
        let comm = fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if matches!(comm.trim(), "postgres" | "postmaster") {
            pids.push(pid);
        }
    }
    pids
}

/// Whether `pid` is a live (not zombie) process.
fn process_alive(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        match fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => {
                let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim().chars().next());
                !matches!(state, Some('Z' | 'X') | None)
            }
            Err(_) => false,
        }
    } else {
        matches!(signal_process(pid, None), Ok(()) | Err(Errno::EPERM))
    }
}

/// Sends `signal` to process `pid`, or with `None` only checks that it could.
fn signal_process(pid: u32, signal: Option<Signal>) -> nix::Result<()> {
    match i32::try_from(pid) {
        // A positive pid names one process, never a group or every process.
        Ok(pid) if pid > 0 => kill(Pid::from_raw(pid), signal),
        _ => Err(Errno::ESRCH),
    }
}

/// Sends `signal` to process `pid`; false when it could not (e.g. no such process).
fn send_signal(pid: u32, signal: Signal) -> bool {
    signal_process(pid, Some(signal)).is_ok()
}

/// Sends `signal` to every process in process group `pgid`.
fn send_signal_to_group(pgid: u32, signal: Signal) -> bool {
    match i32::try_from(pgid) {
        // `pgid` > 1 is the group our supervisor leads.
        Ok(pgid) if pgid > 1 => killpg(Pid::from_raw(pgid), signal).is_ok(),
        _ => false,
    }
}

fn effective_uid() -> u32 {
    geteuid().as_raw()
}

/// The account to run PostgreSQL as when we are root: `postgres`, else `nobody` (looked up
/// through the system's user database, `getpwnam`); never one with uid 0.
fn unprivileged_user() -> anyhow::Result<RunAs> {
    let find = |wanted: &str| -> anyhow::Result<Option<RunAs>> {
        let user = User::from_name(wanted)
            .with_context(|| format!("cannot look up the user `{wanted}`"))?;
        Ok(user.filter(|user| !user.uid.is_root()).map(|user| RunAs {
            name: wanted.to_owned(),
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        }))
    };
    match find("postgres")? {
        Some(user) => Ok(user),
        None => find("nobody")?.ok_or_else(|| {
            anyhow!(
                "PostgreSQL refuses to run as root, and there is neither a `postgres` nor a \
                 `nobody` user to run it as; create a `postgres` user or run police-api as an \
                 ordinary user"
            )
        }),
    }
}

/// Fails clearly when `user` cannot reach `data_dir` (a parent directory not traversable).
fn check_reachable(user: &RunAs, data_dir: &Path) -> anyhow::Result<()> {
    let mut dirs: Vec<&Path> = data_dir.ancestors().collect();
    dirs.reverse();
    let output = Command::new("sh")
        .arg("-c")
        .arg(r#"for d do cd "$d" 2>/dev/null || { printf %s "$d"; exit 1; }; done"#)
        .arg("sh")
        .args(&dirs)
        .current_dir("/")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .uid(user.uid)
        .gid(user.gid)
        .output()
        .context("cannot run sh to check the data dir's permissions")?;
    if !output.status.success() {
        let blocked = String::from_utf8_lossy(&output.stdout);
        bail!(
            "PostgreSQL refuses to run as root, so it runs as the user `{}` (uid {}), which \
             cannot reach the data dir {} (it cannot enter {blocked}); choose another \
             --data-dir, e.g. one under /var/lib or /tmp",
            user.name,
            user.uid,
            data_dir.display()
        );
    }
    Ok(())
}

fn chown_recursive(path: &Path, user: &RunAs) -> anyhow::Result<()> {
    std::os::unix::fs::lchown(path, Some(user.uid), Some(user.gid))
        .with_context(|| format!("cannot chown {}", path.display()))?;
    if fs::symlink_metadata(path)?.is_dir() {
        for entry in fs::read_dir(path)? {
            chown_recursive(&entry?.path(), user)?;
        }
    }
    Ok(())
}

/// Finds `initdb` and `postgres`: on PATH, else the newest `/usr/lib/postgresql/*/bin` (or
/// `/usr/pgsql-*/bin`). With an existing cluster, binaries of its major version are required.
fn find_binaries(want_major: Option<u32>) -> anyhow::Result<Binaries> {
    let mut candidates: Vec<(PathBuf, Option<u32>)> = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if is_executable(&dir.join("postgres")) && is_executable(&dir.join("initdb")) {
                candidates.push((dir, None));
            }
        }
    }
    let mut versioned: Vec<(u32, PathBuf)> = Vec::new();
    for (parent, prefix) in [("/usr/lib/postgresql", ""), ("/usr", "pgsql-")] {
        let Ok(entries) = fs::read_dir(parent) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(version) = name
                .to_str()
                .and_then(|n| n.strip_prefix(prefix))
                .and_then(|v| v.parse::<u32>().ok())
            else {
                continue;
            };
            let bin = entry.path().join("bin");
            if is_executable(&bin.join("postgres")) && is_executable(&bin.join("initdb")) {
                versioned.push((version, bin));
            }
        }
    }
    versioned.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    candidates.extend(versioned.into_iter().map(|(v, bin)| (bin, Some(v))));
    if candidates.is_empty() {
        bail!(
            "PostgreSQL server binaries (initdb, postgres) not found on PATH nor under \
             /usr/lib/postgresql/*/bin; install PostgreSQL (e.g. `apt-get install postgresql`) \
             or pass --database-url"
        );
    }
    let chosen = match want_major {
        None => candidates.swap_remove(0).0,
        Some(major) => {
            let mut found = Vec::new();
            let mut chosen = None;
            for (dir, version) in candidates {
                let version = version.or_else(|| server_major_version(&dir.join("postgres")));
                if version == Some(major) {
                    chosen = Some(dir);
                    break;
                }
                found.push(format!(
                    "{} ({})",
                    dir.display(),
                    version.map_or("unknown version".into(), |v| format!("PostgreSQL {v}"))
                ));
            }
            chosen.ok_or_else(|| {
                anyhow!(
                    "the cluster was created by PostgreSQL {major}, but only these server \
                     binaries were found: {}; install PostgreSQL {major} or use a new data dir",
                    found.join(", ")
                )
            })?
        }
    };
    Ok(Binaries { initdb: chosen.join("initdb"), postgres: chosen.join("postgres") })
}

/// The major version `postgres --version` reports ("postgres (PostgreSQL) 15.14 ...").
fn server_major_version(postgres: &Path) -> Option<u32> {
    let output = Command::new(postgres).arg("--version").stdin(Stdio::null()).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text.split(')').nth(1)?.split_whitespace().next()?;
    version.split('.').next()?.parse().ok()
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str().ok_or_else(|| anyhow!("path {} is not valid UTF-8", path.display()))
}

/// Percent-encodes everything but unreserved characters and `/`, for libpq URIs.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// FNV-1a: a hash stable across runs and builds, for naming the /tmp socket directory.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh data dir under /tmp, traversable by the `postgres` user when we are root.
    fn temp_data_dir() -> tempfile::TempDir {
        let dir = tempfile::Builder::new().prefix("police-embedded-").tempdir_in("/tmp").unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        dir
    }

    fn start(dir: &Path) -> EmbeddedPostgres {
        EmbeddedPostgres::start(EmbeddedOptions { data_dir: dir.to_owned(), durable: false })
            .unwrap()
    }

    fn query_one(url: &str) -> i32 {
        let mut conn = PgConnection::establish(url).unwrap();
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1"))
            .get_result(&mut conn)
            .unwrap()
    }

    fn wait_gone(pid: u32, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if !process_alive(pid) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        !process_alive(pid)
    }

    #[test]
    fn start_connect_stop() {
        let dir = temp_data_dir();
        let pg = start(dir.path());
        assert!(pg.database_url().contains("/police?"), "{}", pg.database_url());
        assert_eq!(query_one(&pg.database_url()), 1);
        assert_eq!(query_one(&pg.url_for("postgres")), 1);
        assert!(pg.socket_dir().starts_with(pg.data_dir()));
        let log_mode = fs::metadata(dir.path().join(LOG_FILE)).unwrap().mode() & 0o777;
        assert_eq!(log_mode, 0o600, "postgres.log holds SQL: its owner's only");
        let pid = pg.pid();
        assert!(process_alive(pid));
        pg.stop().unwrap();
        assert!(!process_alive(pid));
        assert!(!dir.path().join("pgdata/postmaster.pid").exists());
    }

    #[test]
    fn restart_reuses_the_cluster() {
        let dir = temp_data_dir();
        let pg = start(dir.path());
        {
            let mut conn = PgConnection::establish(&pg.database_url()).unwrap();
            diesel::sql_query("CREATE TABLE kept (x int)").execute(&mut conn).unwrap();
        }
        pg.stop().unwrap();
        let begun = Instant::now();
        let pg = start(dir.path());
        let took = begun.elapsed();
        let mut conn = PgConnection::establish(&pg.database_url()).unwrap();
        diesel::sql_query("SELECT * FROM kept").execute(&mut conn).unwrap();
        assert!(took < Duration::from_secs(10), "restart took {took:?}");
        drop(conn);
        pg.stop().unwrap();
    }

    #[test]
    fn a_killed_postmaster_is_restarted() {
        let dir = temp_data_dir();
        let pg = start(dir.path());
        let conn = PgConnection::establish(&pg.database_url()).unwrap();
        let pid = pg.pid();
        assert!(send_signal(pid, Signal::SIGKILL));
        assert!(wait_gone(pid, Duration::from_secs(10)));
        drop(conn);
        // The monitor starts it again (a generous bound: a loaded machine).
        let deadline = Instant::now() + Duration::from_secs(120);
        let restarted = loop {
            let now = pg.pid();
            if now != 0 && now != pid && PgConnection::establish(&pg.database_url()).is_ok() {
                break now;
            }
            assert!(Instant::now() < deadline, "not restarted: {}", log_tail(pg.log_file(), 0));
            std::thread::sleep(Duration::from_millis(100));
        };
        assert_eq!(query_one(&pg.database_url()), 1);
        pg.stop().unwrap();
        assert!(
            wait_gone(restarted, Duration::from_secs(10)),
            "the restarted server outlived stop"
        );
        // And the data dir starts again as usual.
        let pg = start(dir.path());
        assert_eq!(query_one(&pg.database_url()), 1);
        pg.stop().unwrap();
    }

    #[test]
    fn the_lock_file_is_removed_on_stop_and_after_a_failed_start() {
        let dir = temp_data_dir();
        let lock = dir.path().join(LOCK_FILE);
        let pg = start(dir.path());
        assert!(lock.exists());
        pg.stop().unwrap();
        assert!(!lock.exists(), "stop left {}", lock.display());

        // A start that fails once it holds the lock: pgdata is not a cluster.
        let broken = temp_data_dir();
        fs::create_dir(broken.path().join(CLUSTER_DIR)).unwrap();
        fs::write(broken.path().join(CLUSTER_DIR).join("stray"), "x").unwrap();
        let err = EmbeddedPostgres::start(EmbeddedOptions::new(broken.path())).unwrap_err();
        assert!(format!("{err:#}").contains("holds no PostgreSQL cluster"), "{err:#}");
        assert!(!broken.path().join(LOCK_FILE).exists(), "a failed start left the lock file");
    }

    #[test]
    fn a_lock_file_left_behind_does_not_block() {
        let dir = temp_data_dir();
        fs::write(dir.path().join(LOCK_FILE), "999999\n").unwrap();
        let pg = start(dir.path());
        assert_eq!(query_one(&pg.database_url()), 1);
        assert_eq!(
            running_cluster_url(dir.path()).unwrap().unwrap().1,
            std::process::id().to_string()
        );
        pg.stop().unwrap();
        assert!(running_cluster_url(dir.path()).unwrap().is_none());
    }

    #[test]
    fn second_owner_is_refused() {
        let dir = temp_data_dir();
        let pg = start(dir.path());
        let err = EmbeddedPostgres::start(EmbeddedOptions {
            data_dir: dir.path().to_owned(),
            durable: false,
        })
        .unwrap_err();
        let message = format!("{err:#}");
        assert!(err.downcast_ref::<DataDirInUse>().is_some(), "{message}");
        assert!(message.contains("in use by another police-api"), "{message}");
        assert!(message.contains(&format!("pid {}", std::process::id())), "{message}");
        // The refused attempt did not disturb the running server.
        assert_eq!(query_one(&pg.database_url()), 1);
        pg.stop().unwrap();
    }

    #[test]
    fn drop_stops_the_server() {
        let dir = temp_data_dir();
        let pg = start(dir.path());
        let pid = pg.pid();
        let handle = pg.shutdown_handle();
        assert!(handle.is_running());
        drop(pg);
        assert!(!process_alive(pid), "postmaster {pid} survived the drop");
        assert!(!handle.is_running());
        assert!(cluster_processes(&fs::canonicalize(dir.path().join("pgdata")).unwrap()).is_empty());
    }

    #[test]
    fn shutdown_handle_stops_from_another_thread() {
        let dir = temp_data_dir();
        let pg = start(dir.path());
        let pid = pg.pid();
        let handle = pg.shutdown_handle();
        std::thread::spawn(move || handle.shutdown().unwrap()).join().unwrap();
        assert!(!process_alive(pid));
        pg.stop().unwrap(); // already stopped: a no-op
    }

    #[test]
    fn long_data_dir_uses_a_private_socket_dir() {
        let dir = temp_data_dir();
        let long = dir.path().join("d".repeat(60)).join("e".repeat(60));
        fs::create_dir_all(&long).unwrap();
        for p in [long.parent().unwrap(), long.as_path()] {
            fs::set_permissions(p, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let pg = start(&long);
        let socket_dir = pg.socket_dir().to_owned();
        assert!(
            socket_dir.to_string_lossy().starts_with("/tmp/police-pg-"),
            "{}",
            socket_dir.display()
        );
        assert_eq!(query_one(&pg.database_url()), 1);
        pg.stop().unwrap();
        assert!(!socket_dir.exists());
    }

    #[test]
    fn unreachable_data_dir_is_refused_as_root() {
        if effective_uid() != 0 {
            return; // only root runs the server as another user
        }
        let private =
            tempfile::Builder::new().prefix("police-embedded-").tempdir_in("/tmp").unwrap();
        fs::set_permissions(private.path(), fs::Permissions::from_mode(0o700)).unwrap();
        let err = EmbeddedPostgres::start(EmbeddedOptions {
            data_dir: private.path().join("data"),
            durable: false,
        })
        .unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("cannot reach the data dir"), "{message}");
        assert!(message.contains("--data-dir"), "{message}");
    }

    #[test]
    fn url_encoding() {
        assert_eq!(percent_encode("/tmp/a b/c,d"), "/tmp/a%20b/c%2Cd");
        assert_eq!(percent_encode("police"), "police");
    }

    // --- The owner going away without stopping the cluster -------------------------------

    const HELPER_DIR: &str = "POLICE_EMBEDDED_HELPER_DIR";
    const HELPER_MODE: &str = "POLICE_EMBEDDED_HELPER_MODE";
    static HELPER_CLUSTER: std::sync::OnceLock<EmbeddedPostgres> = std::sync::OnceLock::new();

    /// Not a test: the owner process the tests below start (as this test binary) and end.
    #[test]
    #[ignore = "helper process for the owner-gone tests"]
    fn helper_owner_process() {
        let Some(dir) = std::env::var_os(HELPER_DIR) else { return };
        let pg = HELPER_CLUSTER.get_or_init(|| start(Path::new(&dir)));
        let supervisor = lock_state(&pg.state).supervisor.as_ref().unwrap().child.id();
        println!("\nCLUSTER {} {}", pg.pid(), supervisor);
        io::stdout().flush().unwrap();
        if std::env::var(HELPER_MODE).as_deref() == Ok("exit") {
            // Like a test process: exits without dropping statics.
            std::process::exit(0);
        }
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// Runs the helper owner; returns it with the postmaster's and supervisor's pids.
    fn spawn_owner(dir: &Path, mode: &str) -> (Child, u32, u32) {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "embedded::tests::helper_owner_process",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(HELPER_DIR, dir)
            .env(HELPER_MODE, mode)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        for line in stdout.lines() {
            let line = line.unwrap();
            // libtest may have printed "test ... " on the same line.
            if let Some((_, rest)) = line.split_once("CLUSTER ") {
                let (pm, sup) = rest.split_once(' ').unwrap();
                return (child, pm.parse().unwrap(), sup.parse().unwrap());
            }
        }
        panic!("the helper owner did not report its cluster: {:?}", child.wait());
    }

    #[test]
    fn owner_killed_stops_the_cluster() {
        let dir = temp_data_dir();
        let (mut owner, postmaster, _) = spawn_owner(dir.path(), "kill");
        assert!(process_alive(postmaster));
        owner.kill().unwrap(); // SIGKILL
        owner.wait().unwrap();
        assert!(wait_gone(postmaster, Duration::from_secs(30)), "postmaster {postmaster} left");
        let pg = start(dir.path());
        assert_eq!(query_one(&pg.database_url()), 1);
        pg.stop().unwrap();
    }

    #[test]
    fn owner_exit_stops_the_cluster() {
        let dir = temp_data_dir();
        let (mut owner, postmaster, _) = spawn_owner(dir.path(), "exit");
        assert!(owner.wait().unwrap().success());
        assert!(wait_gone(postmaster, Duration::from_secs(30)), "postmaster {postmaster} left");
        let pg = start(dir.path());
        pg.stop().unwrap();
    }

    #[test]
    fn server_left_running_is_stopped_by_the_next_owner() {
        let dir = temp_data_dir();
        let (mut owner, postmaster, supervisor) = spawn_owner(dir.path(), "kill");
        // Kill the supervisor and its watcher first, so nothing stops the server for us.
        let group = process_group_members(supervisor);
        for pid in group.iter().filter(|&&pid| pid != postmaster) {
            let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if !matches!(comm.trim(), "postgres" | "postmaster") {
                send_signal(*pid, Signal::SIGKILL);
            }
        }
        owner.kill().unwrap();
        owner.wait().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        assert!(process_alive(postmaster), "postmaster {postmaster} should still run");
        let pg = start(dir.path());
        assert!(!process_alive(postmaster));
        assert_eq!(query_one(&pg.database_url()), 1);
        pg.stop().unwrap();
    }

    fn process_group_members(pgid: u32) -> Vec<u32> {
        let mut pids = Vec::new();
        for entry in fs::read_dir("/proc").unwrap().flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else { continue };
            let Some((_, rest)) = stat.rsplit_once(')') else { continue };
            // Fields after the command: state, ppid, pgrp.
            if rest.split_whitespace().nth(2).and_then(|g| g.parse::<u32>().ok()) == Some(pgid) {
                pids.push(pid);
            }
        }
        pids
    }
}
