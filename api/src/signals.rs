//! What a stop signal (SIGTERM, SIGINT, SIGHUP) does, according to what the process is doing.
//!
//! * Serving (`serve`, `demo`): the first signal stops accepting connections and lets the
//!   requests in flight finish, for at most the grace period (`--shutdown-timeout`); the main
//!   thread then stops the snapshot refresher and the embedded PostgreSQL, and the process
//!   exits 0. A second signal stops at once (exit 130).
//! * Importing: the importer's report says what was committed and what was rolled back, the
//!   embedded PostgreSQL is stopped, and the process exits 130.
//! * Anything else (starting, migrating, loading the snapshot): the embedded PostgreSQL is
//!   stopped and the process exits 130.
//!
//! The handler is installed whatever the inherited disposition: a process started in the
//! background by a non-interactive shell (which ignores SIGINT for its children) still stops
//! in order on SIGINT, as on SIGTERM.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once, OnceLock};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use police_store::embedded::ShutdownHandle;

/// Exit status after a stop signal that ended the work unfinished (128 + SIGINT, as a shell
/// reports Ctrl-C).
pub const INTERRUPTED: i32 = 130;

type Report = Arc<dyn Fn() + Send + Sync>;

enum Phase {
    Other,
    Importing(Report),
    Serving { server: ServerHandle, grace: Duration },
}

static PHASE: Mutex<Phase> = Mutex::new(Phase::Other);
static CLUSTERS: Mutex<Vec<ShutdownHandle>> = Mutex::new(Vec::new());
static SIGNALS: AtomicUsize = AtomicUsize::new(0);
static STOP_REQUESTED: OnceLock<Instant> = OnceLock::new();
static INSTALL: Once = Once::new();

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    INSTALL.call_once(|| {
        if let Err(error) = ctrlc::set_handler(on_signal) {
            tracing::warn!("cannot handle stop signals ({error}); Ctrl-C will not stop in order");
        }
    });
}

/// Stops `cluster` before the process exits on a signal.
pub fn stop_on_exit(cluster: ShutdownHandle) {
    lock(&CLUSTERS).push(cluster);
}

/// Back to the default behaviour when dropped.
#[must_use = "the phase ends when this is dropped"]
pub struct PhaseGuard(());

impl Drop for PhaseGuard {
    fn drop(&mut self) {
        *lock(&PHASE) = Phase::Other;
    }
}

/// An import runs: on a signal, `report` says what was committed before the process exits.
pub fn importing(report: impl Fn() + Send + Sync + 'static) -> PhaseGuard {
    *lock(&PHASE) = Phase::Importing(Arc::new(report));
    PhaseGuard(())
}

/// `server` answers requests: a signal stops it gracefully within `grace`.
pub fn serving(server: ServerHandle, grace: Duration) -> PhaseGuard {
    *lock(&PHASE) = Phase::Serving { server, grace };
    PhaseGuard(())
}

/// When the first stop signal arrived, if one did.
pub fn stop_requested() -> Option<Instant> {
    STOP_REQUESTED.get().copied()
}

fn on_signal() {
    let first = SIGNALS.fetch_add(1, Ordering::SeqCst) == 0;
    if first {
        let _ = STOP_REQUESTED.set(Instant::now());
    }
    let phase = lock(&PHASE);
    match &*phase {
        Phase::Serving { server, grace } if first => {
            tracing::info!(
                "stop signal: no new connections; finishing the requests in flight (at most {} s; \
                 a second signal stops at once)",
                grace.as_secs_f64()
            );
            // The stop command is sent now; its completion is awaited by the serving thread.
            drop(server.stop(true));
            return;
        }
        Phase::Serving { .. } => {
            tracing::warn!("second stop signal: closing the open connections now");
        }
        Phase::Importing(report) => report(),
        Phase::Other => {}
    }
    let clusters = lock(&CLUSTERS);
    if clusters.iter().any(ShutdownHandle::is_running) {
        tracing::info!("interrupted: stopping the embedded PostgreSQL");
    }
    for cluster in clusters.iter() {
        cluster.stop();
    }
    crate::logging::flush();
    std::process::exit(INTERRUPTED);
}
