//! Connecting to PostgreSQL and keeping its schema current.

use diesel::pg::PgConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// The schema migrations, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The channel an import notifies after each committed file; the payload is
/// `<kind> <force> <YYYY-MM>` for monthly CSVs and `<kind> <force> <neighbourhood or ->` for
/// force and neighbourhood files. Running servers `LISTEN` on it to refresh their snapshot.
pub const IMPORT_CHANNEL: &str = "police_api_import";

/// Opens a connection, naming the server (without credentials) when that fails. libpq's
/// own message can quote part of the connection string (a malformed one), so any password
/// in it is masked too.
pub fn connect(database_url: &str) -> anyhow::Result<PgConnection> {
    PgConnection::establish(database_url).map_err(|error| {
        let mut message = error.to_string();
        if let Some(password) = password(database_url).filter(|p| !p.is_empty()) {
            message = message.replace(password, "***");
        }
        anyhow::anyhow!("cannot connect to PostgreSQL at {}: {message}", redact(database_url))
    })
}

/// Applies every pending migration; returns the versions applied.
pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Reverts every applied migration, newest first; returns the versions reverted.
pub fn revert_all_migrations(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let reverted = conn
        .revert_all_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("reverting migrations: {e}"))?;
    Ok(reverted.iter().map(|v| v.to_string()).collect())
}

/// A database URL (or `key=value` connection string) with any password replaced, fit for
/// logs and error messages: the `user:password@` of a URL, a `password=` query parameter,
/// and a `password=` keyword.
pub fn redact(database_url: &str) -> String {
    match password(database_url) {
        Some(password) => {
            let at = password.as_ptr() as usize - database_url.as_ptr() as usize;
            format!("{}***{}", &database_url[..at], &database_url[at + password.len()..])
        }
        None => database_url.to_owned(),
    }
}

/// The password a connection string carries (a slice of it), in any of the forms
/// [`redact`] knows; the first one when there are several.
fn password(database_url: &str) -> Option<&str> {
    if let Some(scheme_end) = database_url.find("://") {
        let rest = &database_url[scheme_end + 3..];
        let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
        if let Some(at) = authority.rfind('@') {
            if let Some((_user, password)) = authority[..at].split_once(':') {
                return Some(password);
            }
        }
        let query = &rest[rest.find('?')? + 1..];
        return query.split('&').find_map(|pair| pair.strip_prefix("password="));
    }
    // `host=… password=…`: values end at white space, unless quoted (`'…'`, `\'` inside).
    let start = database_url
        .match_indices("password")
        .map(|(i, _)| i)
        .find(|&i| i == 0 || database_url[..i].ends_with(char::is_whitespace))?;
    let value = database_url[start + "password".len()..].trim_start();
    let value = value.strip_prefix('=')?.trim_start();
    let offset = database_url.len() - value.len();
    let length = match value.strip_prefix('\'') {
        Some(quoted) => {
            let mut escaped = false;
            let end = quoted
                .char_indices()
                .find(|&(_, c)| {
                    let closes = c == '\'' && !escaped;
                    escaped = c == '\\' && !escaped;
                    closes
                })
                .map_or(quoted.len(), |(i, _)| i);
            end + 1
        }
        None => value.find(char::is_whitespace).unwrap_or(value.len()),
    };
    let value = &database_url[offset..offset + length];
    Some(value.strip_prefix('\'').unwrap_or(value))
}

/// A connection that listens on [`IMPORT_CHANNEL`].
pub struct ImportListener {
    conn: PgConnection,
}

impl ImportListener {
    /// Connects and starts listening.
    pub fn connect(database_url: &str) -> anyhow::Result<ImportListener> {
        use diesel::RunQueryDsl;
        let mut conn = connect(database_url)?;
        diesel::sql_query(format!("LISTEN {IMPORT_CHANNEL}")).execute(&mut conn)?;
        Ok(ImportListener { conn })
    }

    /// Notifications received since the last call (without waiting); the payloads are
    /// `<kind> <force> <YYYY-MM>`.
    pub fn received(&mut self) -> anyhow::Result<Vec<String>> {
        self.conn
            .notifications_iter()
            .map(|n| n.map(|n| n.payload).map_err(anyhow::Error::from))
            .collect()
    }
}

/// Waits until the server at `standby_url` has replayed everything the primary at
/// `primary_url` had written when this was called (its `pg_current_wal_lsn()`), so that a
/// snapshot loaded from the standby after an import's notification holds that import.
/// `Ok(true)` once it has (at once when `standby_url` is not in recovery: a primary),
/// `Ok(false)` when `timeout` ran out first.
pub fn wait_for_replay(
    primary_url: &str,
    standby_url: &str,
    timeout: std::time::Duration,
) -> anyhow::Result<bool> {
    use diesel::sql_types::{Bool, Text};
    use diesel::{QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Lsn {
        #[diesel(sql_type = Text)]
        lsn: String,
    }
    #[derive(QueryableByName)]
    struct Replayed {
        #[diesel(sql_type = Bool)]
        replayed: bool,
    }
    let Lsn { lsn } = diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
        .get_result(&mut connect(primary_url)?)?;
    let mut standby = connect(standby_url)?;
    let started = std::time::Instant::now();
    loop {
        // NULL outside recovery: a primary has everything it wrote.
        let Replayed { replayed } = diesel::sql_query(
            "SELECT COALESCE(pg_last_wal_replay_lsn() >= $1::pg_lsn, true) AS replayed",
        )
        .bind::<Text, _>(&lsn)
        .get_result(&mut standby)?;
        if replayed {
            return Ok(true);
        }
        if started.elapsed() >= timeout {
            return Ok(false);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Declares `$name`, a `COPY (<$sql>) TO STDOUT` target over `$table`'s rows. diesel copies
/// only tables or columns, and `COPY (query)` takes no bind parameters, so each query is a
/// target of its own, fixed, and reads what it selects by from settings of its session
/// (`set_config` on the same connection first).
macro_rules! copy_query_target {
    ($name:ident, $table:ty, $sql:expr) => {
        struct $name;

        impl diesel::pg::CopyTarget for $name {
            type Table = $table;
            type SqlType = diesel::sql_types::Text;

            fn walk_target(
                mut pass: diesel::query_builder::AstPass<'_, '_, diesel::pg::Pg>,
            ) -> diesel::QueryResult<()> {
                pass.push_sql(concat!("(", $sql, ")"));
                Ok(())
            }
        }
    };
}
pub(crate) use copy_query_target;

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgresql:///db?host=/tmp"), "postgresql:///db?host=/tmp");
        assert_eq!(
            redact("postgresql://admin@host/db?sslmode=require&password=s3cret&x=1"),
            "postgresql://admin@host/db?sslmode=require&password=***&x=1"
        );
        assert_eq!(
            redact("host=db user=admin password=s3cret port=5432"),
            "host=db user=admin password=*** port=5432"
        );
        assert_eq!(
            redact("host=db password = 's3 cret\\'x' user=a"),
            "host=db password = '***' user=a"
        );
        assert_eq!(redact("host=db passwordless=1"), "host=db passwordless=1");
        assert_eq!(redact("host=/tmp dbname=police"), "host=/tmp dbname=police");
        assert_eq!(redact("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
    }

    #[test]
    fn a_failed_connection_names_no_password() {
        for url in [
            "postgresql://admin:s3cretpw@127.0.0.1:1/db",
            "postgresql://admin@127.0.0.1:1/db?password=s3cretpw",
            "host=127.0.0.1 port=1 password=s3cretpw",
            "postgresql://admin:s3cretpw@[bad/db",
            "host=127.0.0.1 password=s3cretpw port",
        ] {
            let error = super::connect(url).err().expect("nothing listens on port 1");
            let message = format!("{error:#}");
            assert!(!message.contains("s3cretpw"), "{url}: {message}");
        }
    }
}
