//! API keys (table `api_keys`): made, listed and revoked by `police-api keys`, read whole by a
//! running server into memory (never on a request's path) and read again whenever the table
//! changes: a trigger sends `NOTIFY` on [`KEYS_CHANNEL`] after every change, and
//! [`KeyListener`] hears it.
//!
//! A key's secret is shown once, when it is made; the store keeps only its SHA-256. A fast
//! unsalted hash is the right one here: the secrets are 256 random bits, not passwords, so
//! there is nothing to guess and slowing down each guess buys nothing, while the server can
//! find a key by its hash in a map.

use std::io::Read;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Double, Integer, Nullable, Text};
use sha2::{Digest, Sha256};

/// The channel the `api_keys` trigger notifies after every change to the table.
pub const KEYS_CHANNEL: &str = "police_api_keys";

/// What every secret starts with, so that one found in a file or a log is recognisable.
pub const SECRET_PREFIX: &str = "pak_";

/// The SHA-256 of a key's secret: how the store and the server know a key.
pub type KeyHash = [u8; 32];

/// The SHA-256 of `secret`, as stored.
pub fn hash_secret(secret: &str) -> KeyHash {
    Sha256::digest(secret.as_bytes()).into()
}

/// A key's own leaky bucket, overriding the server's default; a `None` part takes the
/// server's value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KeyRate {
    /// Requests per second on average.
    pub average: Option<f64>,
    /// Requests that may come at once.
    pub burst: Option<u32>,
}

/// A new key, as `keys add` asks for it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewKey {
    /// Unique; 1 to 100 letters, digits, `.`, `_`, `@` or `-`, starting with a letter or digit.
    pub name: String,
    /// Its rate limit, if not the server's.
    pub rate: KeyRate,
    /// The day (`YYYY-MM-DD`, UTC midnight) from which it no longer works.
    pub expires: Option<String>,
}

/// A key as `keys list` shows it: never its secret (the store does not have it) nor its hash.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct KeyListing {
    #[diesel(sql_type = Text)]
    pub name: String,
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    #[diesel(sql_type = Text)]
    pub created: String,
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    #[diesel(sql_type = Nullable<Text>)]
    pub expires: Option<String>,
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    #[diesel(sql_type = Nullable<Text>)]
    pub revoked: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    pub rate_average: Option<f64>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub rate_burst: Option<i32>,
}

/// A key as a server holds it in memory.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct StoredKey {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Binary)]
    pub key_hash: Vec<u8>,
    #[diesel(sql_type = Nullable<Double>)]
    pub rate_average: Option<f64>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub rate_burst: Option<i32>,
    /// Seconds since 1970 from which the key no longer works.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub expires_at: Option<i64>,
    /// Revoked keys are loaded too, so that their users are told so.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub revoked: bool,
}

/// Whether `name` is a valid key name (see [`NewKey::name`]); the table checks the same.
pub fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.len() <= 100
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'))
}

/// Whether `day` is a `YYYY-MM-DD` date (PostgreSQL checks that the day exists).
pub fn valid_day(day: &str) -> bool {
    let bytes = day.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// A new secret: [`SECRET_PREFIX`] and 32 bytes from the kernel's random source, in hex.
fn new_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .map_err(|e| anyhow::anyhow!("reading /dev/urandom for a new key: {e}"))?;
    let mut secret = String::with_capacity(SECRET_PREFIX.len() + 64);
    secret.push_str(SECRET_PREFIX);
    for byte in bytes {
        secret.push_str(&format!("{byte:02x}"));
    }
    Ok(secret)
}

/// Makes a key; returns its secret, which is stored nowhere (only its hash is).
pub fn add(conn: &mut PgConnection, key: &NewKey) -> anyhow::Result<String> {
    anyhow::ensure!(
        valid_name(&key.name),
        "key name {:?}: use 1 to 100 letters, digits, '.', '_', '@' or '-', starting with a \
         letter or digit",
        key.name
    );
    if let Some(average) = key.rate.average {
        anyhow::ensure!(
            average.is_finite() && average > 0.0,
            "--rate must be a number of requests per second above 0, got {average}"
        );
    }
    let burst = match key.rate.burst {
        Some(burst) => Some(
            i32::try_from(burst)
                .ok()
                .filter(|b| *b >= 1)
                .ok_or_else(|| anyhow::anyhow!("--burst must be from 1 to {}", i32::MAX))?,
        ),
        None => None,
    };
    if let Some(day) = &key.expires {
        anyhow::ensure!(valid_day(day), "--expires takes a day as YYYY-MM-DD, got {day:?}");
    }
    let secret = new_secret()?;
    let inserted = diesel::sql_query(
        "INSERT INTO api_keys (name, key_hash, rate_average, rate_burst, expires_at) \
         VALUES ($1, $2, $3, $4, ($5::date)::timestamp AT TIME ZONE 'UTC') \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind::<Text, _>(&key.name)
    .bind::<Binary, _>(hash_secret(&secret).to_vec())
    .bind::<Nullable<Double>, _>(key.rate.average)
    .bind::<Nullable<Integer>, _>(burst)
    .bind::<Nullable<Text>, _>(key.expires.as_deref())
    .execute(conn)
    .map_err(|e| anyhow::anyhow!("storing the key: {e}"))?;
    anyhow::ensure!(
        inserted == 1,
        "a key named {:?} exists already (revoked keys keep their names); choose another name",
        key.name
    );
    Ok(secret)
}

/// Every key, oldest first.
pub fn list(conn: &mut PgConnection) -> anyhow::Result<Vec<KeyListing>> {
    const UTC: &str = "'YYYY-MM-DD HH24:MI:SS'";
    let query = format!(
        "SELECT name, to_char(created_at AT TIME ZONE 'UTC', {UTC}) AS created, \
                to_char(expires_at AT TIME ZONE 'UTC', {UTC}) AS expires, \
                to_char(revoked_at AT TIME ZONE 'UTC', {UTC}) AS revoked, \
                rate_average, rate_burst \
         FROM api_keys ORDER BY created_at, id"
    );
    Ok(diesel::sql_query(query).load(conn)?)
}

/// What [`revoke`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The key works no more.
    Now,
    /// It had been revoked before.
    Already,
    /// No key has that name.
    NoSuchKey,
}

/// Revokes the key named `name` (it stays listed, with the time it was revoked).
pub fn revoke(conn: &mut PgConnection, name: &str) -> anyhow::Result<Revoked> {
    let updated = diesel::sql_query(
        "UPDATE api_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL",
    )
    .bind::<Text, _>(name)
    .execute(conn)?;
    if updated == 1 {
        return Ok(Revoked::Now);
    }
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let found = diesel::sql_query("SELECT count(*) AS n FROM api_keys WHERE name = $1")
        .bind::<Text, _>(name)
        .get_result::<Found>(conn)?;
    Ok(if found.n > 0 { Revoked::Already } else { Revoked::NoSuchKey })
}

/// Every key, revoked ones included, as a server holds them.
pub fn load(conn: &mut PgConnection) -> anyhow::Result<Vec<StoredKey>> {
    Ok(diesel::sql_query(
        "SELECT id, name, key_hash, rate_average, rate_burst, \
                extract(epoch FROM expires_at)::bigint AS expires_at, \
                revoked_at IS NOT NULL AS revoked \
         FROM api_keys",
    )
    .load(conn)?)
}

/// A connection that listens on [`KEYS_CHANNEL`].
pub struct KeyListener {
    conn: PgConnection,
}

impl KeyListener {
    /// Connects and starts listening. Load the keys after this, so that no change falls
    /// between the two.
    pub fn connect(database_url: &str) -> anyhow::Result<KeyListener> {
        let mut conn = crate::db::connect(database_url)?;
        diesel::sql_query(format!("LISTEN {KEYS_CHANNEL}")).execute(&mut conn)?;
        Ok(KeyListener { conn })
    }

    /// Whether the keys changed since the last call (without waiting); an error when the
    /// connection is lost.
    pub fn changed(&mut self) -> anyhow::Result<bool> {
        let mut changed = false;
        for notification in self.conn.notifications_iter() {
            notification?;
            changed = true;
        }
        Ok(changed)
    }

    /// The keys, read on this listener's own connection.
    pub fn load(&mut self) -> anyhow::Result<Vec<StoredKey>> {
        load(&mut self.conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_days_are_checked() {
        assert!(valid_name("analyst-7"));
        assert!(valid_name("a@b.org"));
        assert!(!valid_name(""));
        assert!(!valid_name("-x"));
        assert!(!valid_name("two words"));
        assert!(!valid_name(&"x".repeat(101)));
        assert!(valid_day("2027-01-01"));
        assert!(!valid_day("2027-1-01"));
        assert!(!valid_day("27-01-2027"));
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let one = new_secret().unwrap();
        let two = new_secret().unwrap();
        assert_ne!(one, two);
        assert!(one.starts_with(SECRET_PREFIX) && one.len() == SECRET_PREFIX.len() + 64);
        assert_eq!(hash_secret(&one), hash_secret(&one));
        assert_ne!(hash_secret(&one), hash_secret(&two));
    }
}
