//! Access control, off by default (self-hosters own their server): API keys
//! (`--require-keys`) and police.uk's rate limit (`--rate-limit`).
//!
//! # Keys
//!
//! A key is sent as the `X-Api-Key` header or the `key` query parameter (the header wins).
//! With `--require-keys`, every request to the API (`/api/…`, `/api/v2/…`) needs a valid one:
//! a missing, unknown, expired or revoked key is 401 with a one-line message. The health and
//! metrics routes, the OpenAPI document (`/api/openapi.json`), `/docs`, the web front end's
//! pages and assets, and CORS preflights (`OPTIONS`) stay open. police.uk's routes ignore
//! parameters they do not know, so `key` changes none of their answers.
//!
//! Keys are checked in memory, never with SQL on the request path: [`KeyWatcher`] loads them
//! all (their SHA-256 hashes, see [`police_store::keys`]) at start, and again whenever the
//! store says they changed (`LISTEN police_api_keys`, a trigger's `NOTIFY`), so a revoked
//! key stops working on every replica within a second or so.
//!
//! # Rate limit
//!
//! police.uk's: a leaky bucket of 15 requests a second on average with bursts of 30
//! (`--rate-limit-average`, `--rate-limit-burst`), per key or per client address; beyond,
//! 429 with `Retry-After` (whole seconds, at least 1). Implemented as GCRA, the leaky bucket
//! as a meter: each bucket is one instant (when it will be empty), so checking a request is
//! a comparison and an addition. The buckets live in this process's memory: N replicas let
//! a client through N times as fast. At most [`MAX_BUCKETS`] are kept; empty ones are
//! dropped (an empty bucket and no bucket behave the same), and when that is not enough the
//! clients not yet tracked share one bucket, so a flood of addresses cannot grow memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use arc_swap::ArcSwap;
use police_store::keys::{self, KeyHash, KeyListener, StoredKey};

use crate::error::ApiError;
use crate::state::{unix_seconds, AppState};

/// The request header that carries a key.
pub const KEY_HEADER: &str = "x-api-key";
/// The query parameter that carries a key.
pub const KEY_PARAMETER: &str = "key";
/// Most buckets kept at once (about 64 bytes each: 6.4 MB).
pub const MAX_BUCKETS: usize = 100_000;
/// The longest a bucket makes one request wait for the next (one a day).
const MAX_INTERVAL: Duration = Duration::from_secs(86_400);
/// How often the key listener looks for a change.
const POLL: Duration = Duration::from_millis(200);
/// Wait before reconnecting after the database went away.
const RECONNECT: Duration = Duration::from_secs(2);

/// How requests are rate-limited (`--rate-limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RateLimitMode {
    /// No rate limit.
    #[default]
    Off,
    /// One bucket per API key, at the key's own rate if it has one; requests without a valid
    /// key (when keys are not required) one bucket per client address.
    PerKey,
    /// One bucket per client address (the TCP peer: behind a proxy, the proxy's).
    PerAddress,
}

/// The command-line options of access control (part of `serve` and `demo`).
#[derive(Debug, Clone, clap::Args)]
pub struct AccessArgs {
    /// Require an API key (X-Api-Key header or key parameter) on every /api/ request; keys
    /// are managed with `police-api keys`.
    #[arg(long, env = "POLICE_REQUIRE_KEYS",
          value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub require_keys: bool,
    /// Rate-limit /api/ requests with police.uk's leaky bucket: `off`, `per-key` or
    /// `per-address`. Per replica: N replicas let a client through N times as fast.
    #[arg(long, env = "POLICE_RATE_LIMIT", value_enum, default_value = "off")]
    pub rate_limit: RateLimitMode,
    /// Requests per second a bucket lets through on average (police.uk: 15); a key's own
    /// rate (`keys add --rate`) overrides it.
    #[arg(long, env = "POLICE_RATE_LIMIT_AVERAGE", default_value_t = 15.0, value_parser = parse_average)]
    pub rate_limit_average: f64,
    /// Requests a bucket lets through at once (police.uk: 30); a key's own burst (`keys add
    /// --burst`) overrides it.
    #[arg(long, env = "POLICE_RATE_LIMIT_BURST", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate_limit_burst: u32,
}

impl AccessArgs {
    /// Whether any access control is on.
    pub fn enabled(&self) -> bool {
        self.require_keys || self.rate_limit != RateLimitMode::Off
    }

    /// Whether the server needs the keys in memory.
    pub fn needs_keys(&self) -> bool {
        self.require_keys || self.rate_limit == RateLimitMode::PerKey
    }
}

/// Sets up access control as `args` say, logging what it is: `None` when it is off (the
/// default), else the access control for [`AppState::with_access_control`] and, when keys
/// are used, the [`KeyWatcher`] keeping them current (keep it until the server stops).
pub fn start(
    args: &AccessArgs,
    database_url: &str,
) -> anyhow::Result<(Option<Arc<AccessControl>>, Option<KeyWatcher>)> {
    if !args.enabled() {
        return Ok((None, None));
    }
    let access = Arc::new(AccessControl::new(args));
    let watcher = match args.needs_keys() {
        true => Some(KeyWatcher::start(database_url.to_owned(), access.clone())?),
        false => None,
    };
    let limit = match args.rate_limit {
        RateLimitMode::Off => "no rate limit".to_owned(),
        mode => format!(
            "rate limit {} of {} requests/s on average, bursts of {} (per replica)",
            match mode {
                RateLimitMode::PerKey => "per key",
                _ => "per address",
            },
            args.rate_limit_average,
            args.rate_limit_burst
        ),
    };
    let keys = if args.require_keys { "API keys required" } else { "API keys not required" };
    tracing::info!("access control: {keys}; {limit}");
    Ok((Some(access), watcher))
}

/// A positive, finite number of requests per second.
fn parse_average(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(average) if average.is_finite() && average > 0.0 && average <= 1e6 => Ok(average),
        _ => Err(format!("expected requests per second above 0 (e.g. 15 or 0.5), got {text:?}")),
    }
}

/// A leaky bucket's size: requests per second on average, and at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Requests per second on average.
    pub average: f64,
    /// Requests at once.
    pub burst: u32,
}

/// A key as the server holds it.
#[derive(Debug)]
struct Key {
    id: i64,
    rate: Rate,
    /// Seconds since 1970 from which it no longer works.
    expires_at: Option<i64>,
    revoked: bool,
}

/// Whose bucket a request takes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum BucketId {
    Key(i64),
    Address(IpAddr),
}

/// The buckets, each the instant at which it will be empty (GCRA's theoretical arrival
/// time).
#[derive(Debug)]
struct Buckets {
    full: HashMap<BucketId, Instant>,
    /// Shared by the clients that found no room in `full`.
    overflow: Instant,
    last_sweep: Instant,
}

/// Access control of one server: its options, the keys, the buckets.
#[derive(Debug)]
pub struct AccessControl {
    require_keys: bool,
    mode: RateLimitMode,
    default_rate: Rate,
    keys: ArcSwap<HashMap<KeyHash, Key>>,
    buckets: Mutex<Buckets>,
}

/// What a request's key turned out to be.
enum Presented<'a> {
    None,
    Valid(&'a Key),
    Refused(String),
}

impl AccessControl {
    /// Access control as `args` say, with no keys yet (see [`AccessControl::set_keys`]).
    pub fn new(args: &AccessArgs) -> Self {
        let now = Instant::now();
        AccessControl {
            require_keys: args.require_keys,
            mode: args.rate_limit,
            default_rate: Rate { average: args.rate_limit_average, burst: args.rate_limit_burst },
            keys: ArcSwap::from_pointee(HashMap::new()),
            buckets: Mutex::new(Buckets { full: HashMap::new(), overflow: now, last_sweep: now }),
        }
    }

    /// Serves `stored` from now on; returns how many of them work (not revoked or expired).
    pub fn set_keys(&self, stored: Vec<StoredKey>) -> usize {
        let now = unix_seconds(std::time::SystemTime::now());
        let mut keys = HashMap::with_capacity(stored.len());
        let mut working = 0;
        for key in stored {
            let Ok(hash) = KeyHash::try_from(key.key_hash.as_slice()) else { continue };
            let rate = Rate {
                average: key.rate_average.unwrap_or(self.default_rate.average),
                burst: key
                    .rate_burst
                    .and_then(|burst| u32::try_from(burst).ok())
                    .unwrap_or(self.default_rate.burst),
            };
            if !key.revoked && key.expires_at.is_none_or(|at| at > now) {
                working += 1;
            }
            keys.insert(
                hash,
                Key { id: key.id, rate, expires_at: key.expires_at, revoked: key.revoked },
            );
        }
        self.keys.store(Arc::new(keys));
        working
    }

    /// Whether `path` is one of the API's routes (which access control guards).
    fn guards(path: &str) -> bool {
        let Some(rest) = path.strip_prefix("/api") else { return false };
        (rest.is_empty() || rest.starts_with('/')) && rest != "/openapi.json"
    }

    /// Checks one request: `Err` is the answer to give instead of the route's.
    fn check(&self, request: &ServiceRequest) -> Result<(), ApiError> {
        let keys = self.keys.load();
        let presented = match presented_key(request) {
            None => Presented::None,
            Some(secret) => match keys.get(&keys::hash_secret(&secret)) {
                None => Presented::Refused(
                    "this API key is not known to this server: check that it was copied whole"
                        .into(),
                ),
                Some(key) if key.revoked => {
                    Presented::Refused("this API key has been revoked".into())
                }
                Some(key)
                    if key
                        .expires_at
                        .is_some_and(|at| at <= unix_seconds(std::time::SystemTime::now())) =>
                {
                    Presented::Refused("this API key has expired".into())
                }
                Some(key) => Presented::Valid(key),
            },
        };
        if self.require_keys {
            match &presented {
                Presented::Valid(_) => {}
                Presented::None => {
                    return Err(ApiError::Unauthorized(
                        "this server requires an API key: send it as the X-Api-Key header or \
                         the key parameter"
                            .into(),
                    ))
                }
                Presented::Refused(message) => return Err(ApiError::Unauthorized(message.clone())),
            }
        }
        let address = request.peer_addr().map(|peer| peer.ip());
        let (bucket, rate, whose) = match (self.mode, &presented) {
            (RateLimitMode::Off, _) => return Ok(()),
            (RateLimitMode::PerKey, Presented::Valid(key)) => {
                (Some(BucketId::Key(key.id)), key.rate, "this API key")
            }
            _ => (address.map(BucketId::Address), self.default_rate, "this address"),
        };
        // No peer address (not over TCP): nothing to tell clients apart by.
        let Some(bucket) = bucket else { return Ok(()) };
        match self.admit(bucket, rate, Instant::now()) {
            Ok(()) => Ok(()),
            Err(wait) => Err(ApiError::RateLimited {
                message: format!(
                    "too many requests: {whose} may make {} requests a second on average and \
                     {} at once",
                    rate.average, rate.burst
                ),
                retry_after: u32::try_from(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
                    .unwrap_or(u32::MAX)
                    .max(1),
            }),
        }
    }

    /// Takes one request from `bucket`'s allowance at `now`; `Err` says how long until the
    /// next would pass.
    fn admit(&self, bucket: BucketId, rate: Rate, now: Instant) -> Result<(), Duration> {
        // At most a day per request: a key's rate may be any positive number (a tiny one
        // set with psql would overflow a Duration, or an Instant further on).
        let interval = Duration::try_from_secs_f64(1.0 / rate.average)
            .unwrap_or(MAX_INTERVAL)
            .min(MAX_INTERVAL);
        let tolerance = interval.saturating_mul(rate.burst.saturating_sub(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let buckets = &mut *buckets;
        if buckets.full.len() >= MAX_BUCKETS
            && !buckets.full.contains_key(&bucket)
            && now.duration_since(buckets.last_sweep) >= Duration::from_secs(1)
        {
            // An empty bucket is the same as none.
            buckets.full.retain(|_, empty_at| *empty_at > now);
            buckets.last_sweep = now;
        }
        let room = buckets.full.len() < MAX_BUCKETS;
        let empty_at = match buckets.full.get_mut(&bucket) {
            Some(empty_at) => empty_at,
            None if room => buckets.full.entry(bucket).or_insert(now),
            None => &mut buckets.overflow,
        };
        let start = (*empty_at).max(now);
        let ahead = start - now;
        if ahead > tolerance {
            return Err(ahead - tolerance);
        }
        *empty_at = start + interval;
        Ok(())
    }

    /// Buckets held now, for tests of the bound.
    pub fn bucket_count(&self) -> usize {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner).full.len()
    }
}

/// The key a request presents: its `X-Api-Key` header, else its last `key` parameter.
fn presented_key(request: &ServiceRequest) -> Option<String> {
    if let Some(value) = request.headers().get(KEY_HEADER) {
        return Some(value.to_str().unwrap_or_default().trim().to_owned());
    }
    let query = request.query_string();
    if !query.split('&').any(|pair| pair.starts_with("key=")) {
        return None;
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    pairs.into_iter().rev().find(|(name, _)| name == KEY_PARAMETER).map(|(_, value)| value)
}

/// The middleware: lets a request through, or answers 401 or 429 (see the module
/// documentation). Wrapped only when access control is on.
pub async fn guard(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let access = request.app_data::<web::Data<AppState>>().and_then(|state| state.access_control());
    if let Some(access) = access.filter(|_| request.method() != Method::OPTIONS) {
        if AccessControl::guards(request.path()) {
            if let Err(refusal) = access.check(&request) {
                let response = refusal.error_response();
                return Ok(request.into_response(response));
            }
        }
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// Keeps a server's keys current: reloads them whenever the store says they changed; stops
/// when dropped.
pub struct KeyWatcher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl KeyWatcher {
    /// Loads the keys into `access` now (an error if that fails: a server that requires keys
    /// must not start without them), then keeps them current from a thread of its own.
    pub fn start(database_url: String, access: Arc<AccessControl>) -> anyhow::Result<KeyWatcher> {
        let mut listener = KeyListener::connect(&database_url)?;
        let working = access.set_keys(listener.load()?);
        tracing::info!("access control: {working} API keys in use");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("key-refresh".into())
                .spawn(move || watch(listener, &database_url, &access, &stop))?
        };
        Ok(KeyWatcher { stop, thread: Some(thread) })
    }
}

impl Drop for KeyWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn watch(listener: KeyListener, database_url: &str, access: &AccessControl, stop: &AtomicBool) {
    let mut listener = Some(listener);
    let mut lost = false;
    while !stop.load(Ordering::Relaxed) {
        let result = match listener.take() {
            Some(listener) => follow(listener, access, stop),
            // Changes may have been made while nobody listened: load them all again.
            None => KeyListener::connect(database_url).and_then(|mut listener| {
                let working = access.set_keys(listener.load()?);
                if std::mem::take(&mut lost) {
                    tracing::info!(
                        "access control: the database is back; {working} API keys in use"
                    );
                }
                follow(listener, access, stop)
            }),
        };
        if let Err(error) = result {
            if !std::mem::replace(&mut lost, true) {
                tracing::warn!(
                    "access control: lost the database ({error:#}); checking keys as last loaded \
                     and reconnecting every {} s",
                    RECONNECT.as_secs()
                );
            }
            let until = Instant::now() + RECONNECT;
            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(POLL);
            }
        }
    }
}

fn follow(
    mut listener: KeyListener,
    access: &AccessControl,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    while !stop.load(Ordering::Relaxed) {
        if listener.changed()? {
            let working = access.set_keys(listener.load()?);
            tracing::info!("access control: the keys changed; {working} API keys in use");
        }
        std::thread::sleep(POLL);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(average: f64, burst: u32) -> AccessControl {
        AccessControl::new(&AccessArgs {
            require_keys: false,
            rate_limit: RateLimitMode::PerAddress,
            rate_limit_average: average,
            rate_limit_burst: burst,
        })
    }

    #[test]
    fn a_bucket_passes_its_burst_then_refills_at_its_rate() {
        let access = access(2.0, 5);
        let rate = access.default_rate;
        let bucket = BucketId::Key(1);
        let start = Instant::now();
        for _ in 0..5 {
            assert_eq!(access.admit(bucket, rate, start), Ok(()));
        }
        let wait = access.admit(bucket, rate, start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        // Another bucket is untouched.
        assert_eq!(access.admit(BucketId::Key(2), rate, start), Ok(()));
        // Half a second later one more passes, and only one.
        let later = start + Duration::from_millis(500);
        assert_eq!(access.admit(bucket, rate, later), Ok(()));
        assert!(access.admit(bucket, rate, later).is_err());
        // Empty again after the burst's time: the whole burst passes.
        let much_later = start + Duration::from_secs(10);
        for _ in 0..5 {
            assert_eq!(access.admit(bucket, rate, much_later), Ok(()));
        }
        assert!(access.admit(bucket, rate, much_later).is_err());
    }

    #[test]
    fn a_tiny_rate_waits_at_most_a_day_without_overflowing() {
        let access = access(1.0, 1);
        let start = Instant::now();
        for average in [1e-300, f64::MIN_POSITIVE, 1e-9] {
            let rate = Rate { average, burst: 1 };
            let bucket = BucketId::Key(average.to_bits() as i64);
            assert_eq!(access.admit(bucket, rate, start), Ok(()));
            assert_eq!(access.admit(bucket, rate, start), Err(MAX_INTERVAL), "{average}");
        }
    }

    #[test]
    fn buckets_are_bounded() {
        let access = access(1.0, 2);
        let rate = access.default_rate;
        let start = Instant::now();
        let address = |n: u32| BucketId::Address(IpAddr::from(n.to_be_bytes()));
        for n in 0..MAX_BUCKETS as u32 + 1_000 {
            let _ = access.admit(address(n), rate, start);
        }
        assert_eq!(access.bucket_count(), MAX_BUCKETS);
        // The untracked share one bucket: two pass, the third waits.
        let extra = address(u32::MAX);
        assert!(access.admit(extra, rate, start).is_err());
        // Once the buckets are empty, they are swept and new clients tracked again.
        let later = start + Duration::from_secs(5);
        assert_eq!(access.admit(extra, rate, later), Ok(()));
        assert_eq!(access.bucket_count(), 1);
    }

    #[test]
    fn only_api_routes_are_guarded() {
        for path in ["/api/forces", "/api/v2/crimes", "/api", "/api/unknown"] {
            assert!(AccessControl::guards(path), "{path}");
        }
        for path in ["/", "/healthz", "/readyz", "/metrics", "/docs", "/api/openapi.json", "/apix"]
        {
            assert!(!AccessControl::guards(path), "{path}");
        }
    }
}
