//! What every request handler can reach: the snapshot being served (swapped atomically when
//! the store changes) and the limits on what one request may ask for.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use police_index::places::PlaceNames;
use police_store::snapshot::Snapshot;

use crate::frontend::Tiles;
use crate::json_writer::PointLocations;

/// What every request handler can reach: the current snapshot, swapped atomically when the
/// store changes. A handler takes one `Arc` at its start and answers from it alone.
pub struct AppState {
    snapshot: ArcSwap<Served>,
    limits: Limits,
    store: Option<StoreAccess>,
    tiles: Tiles,
    database: DatabaseHealth,
    store_metrics: crate::metrics::StoreMetrics,
    access_control: Option<Arc<crate::access_control::AccessControl>>,
}

/// What the snapshot refresher last saw of the store, for `/readyz`.
#[derive(Debug, Default)]
pub struct DatabaseHealth {
    /// A refresher watches the store (else nothing is known of it).
    watched: std::sync::atomic::AtomicBool,
    lost: std::sync::Mutex<Option<LostDatabase>>,
}

/// The store could not be reached: since when (seconds since 1970), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostDatabase {
    pub since: i64,
    pub error: String,
}

impl DatabaseHealth {
    /// A refresher watches the store from now on.
    pub fn watch(&self) {
        self.watched.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a refresher watches the store.
    pub fn is_watched(&self) -> bool {
        self.watched.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The store could not be reached (kept from the first failure until it is back); `true`
    /// when it was reachable until now.
    pub fn lost(&self, error: String) -> bool {
        let mut lost = self.lost.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let newly = lost.is_none();
        if newly {
            *lost = Some(LostDatabase { since: unix_seconds(SystemTime::now()), error });
        }
        newly
    }

    /// The store is reachable; `true` when it was lost until now.
    pub fn reachable(&self) -> bool {
        self.lost.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take().is_some()
    }

    /// Since when and why the store cannot be reached; `None` when it can (or is unwatched).
    pub fn lost_since(&self) -> Option<LostDatabase> {
        self.lost.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// Seconds since 1970-01-01T00:00:00Z.
pub fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The store itself, for the one route that reads it on the request path (the custom
/// download, which streams rows the index does not keep), and how many such downloads may
/// run at once.
pub struct StoreAccess {
    /// PostgreSQL's URL.
    pub database_url: String,
    /// One permit per download that may run at once.
    pub downloads: Arc<tokio::sync::Semaphore>,
    /// The number of permits.
    pub max_downloads: usize,
}

/// A snapshot as served: the store's snapshot (reached through `Deref`), and what the API
/// prepares from it once rather than per request.
pub struct Served {
    /// The store's snapshot.
    pub snapshot: Snapshot,
    /// Every snap point's `location` object, pre-rendered.
    pub locations: PointLocations,
    /// When this process started serving it.
    pub served_since: SystemTime,
    /// The snap points' names grouped into places (`/api/v2/places`), built on first use.
    places: OnceLock<PlaceNames>,
}

impl Served {
    /// Prepares `snapshot` for serving.
    pub fn new(snapshot: Snapshot) -> Self {
        let locations = PointLocations::new(&snapshot.index);
        Served { snapshot, locations, served_since: SystemTime::now(), places: OnceLock::new() }
    }

    /// The snap points' names grouped into places, built by the first request that asks.
    pub fn places(&self) -> &PlaceNames {
        self.places.get_or_init(|| PlaceNames::build(&self.snapshot.index))
    }
}

impl std::ops::Deref for Served {
    type Target = Snapshot;

    fn deref(&self) -> &Snapshot {
        &self.snapshot
    }
}

/// Limits on what one request may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most results an area route returns; more answer 503. `None`: no cap.
    pub max_results: Option<usize>,
    /// Longest request line (`GET /api/…?… HTTP/1.1`) accepted, in bytes; at most
    /// [`MAX_REQUEST_LINE`].
    pub max_request_line: usize,
    /// A request body must arrive whole within this long of its head; otherwise 408.
    pub body_timeout: Duration,
    /// A write to a client making no progress for this long drops the connection.
    pub send_timeout: Duration,
    /// Open connections one client address may hold; more are answered 429 and closed.
    pub max_connections_per_client: usize,
    /// Bytes of rendered answers held in memory, not yet sent, over all connections; an
    /// answer that would go beyond is 503 with `Retry-After`. `None`: no cap.
    pub max_bytes_in_flight: Option<usize>,
}

/// The longest request line the HTTP layer can take: actix-http refuses a request target
/// over 65,534 bytes (the `http` crate's `Uri`), so 64 KiB with any method fits.
pub const MAX_REQUEST_LINE: usize = 65_536;

impl Default for Limits {
    /// police.uk's cap of 10,000 results; request lines up to 64 KiB (police.uk: 4,094 bytes);
    /// 30 s to send a body and to read an answer's next bytes; 256 connections per address;
    /// 512 MiB of answers waiting to be sent.
    fn default() -> Self {
        Limits {
            max_results: Some(10_000),
            max_request_line: MAX_REQUEST_LINE,
            body_timeout: Duration::from_secs(30),
            send_timeout: Duration::from_secs(30),
            max_connections_per_client: 256,
            max_bytes_in_flight: Some(512 << 20),
        }
    }
}

impl AppState {
    /// Serves `snapshot` under `limits`.
    pub fn new(snapshot: Snapshot, limits: Limits) -> Self {
        AppState {
            snapshot: ArcSwap::from_pointee(Served::new(snapshot)),
            limits,
            store: None,
            tiles: Tiles::default(),
            database: DatabaseHealth::default(),
            store_metrics: crate::metrics::StoreMetrics::default(),
            access_control: None,
        }
    }

    /// Guards the API with `access` (keys, rate limit); without this, nothing is checked.
    pub fn with_access_control(
        mut self,
        access: Arc<crate::access_control::AccessControl>,
    ) -> Self {
        self.access_control = Some(access);
        self
    }

    /// The API's access control, when it has any.
    pub fn access_control(&self) -> Option<&crate::access_control::AccessControl> {
        self.access_control.as_deref()
    }

    /// Gives the routes that read the store (`/api/v2/download`) access to it, with at most
    /// `max_downloads` of them running at once.
    pub fn with_store(mut self, database_url: String, max_downloads: usize) -> Self {
        self.store = Some(StoreAccess {
            database_url,
            downloads: Arc::new(tokio::sync::Semaphore::new(max_downloads)),
            max_downloads,
        });
        self
    }

    /// Takes the web front end's base map tiles from `tiles` (default: OpenStreetMap's).
    pub fn with_tiles(mut self, tiles: Tiles) -> Self {
        self.tiles = tiles;
        self
    }

    /// Where the web front end's base map tiles come from.
    pub fn tiles(&self) -> &Tiles {
        &self.tiles
    }

    /// The store, when the server was given access to it.
    pub fn store(&self) -> Option<&StoreAccess> {
        self.store.as_ref()
    }

    /// What the snapshot refresher last saw of the store.
    pub fn database(&self) -> &DatabaseHealth {
        &self.database
    }

    /// The snapshot's reloads and the store's import ledger, for `/metrics`.
    pub fn store_metrics(&self) -> &crate::metrics::StoreMetrics {
        &self.store_metrics
    }

    /// The limits requests are held to.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The cap on results of area routes.
    pub fn max_results(&self) -> Option<usize> {
        self.limits.max_results
    }

    /// The snapshot to answer the current request from.
    pub fn current(&self) -> Arc<Served> {
        self.snapshot.load_full()
    }

    /// Makes `snapshot` the one new requests see.
    pub fn replace(&self, snapshot: Snapshot) {
        self.snapshot.store(Arc::new(Served::new(snapshot)));
    }
}
