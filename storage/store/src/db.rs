//! Connecting to PostgreSQL and keeping its schema current.

use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// The schema migrations, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The channel an import notifies after each committed file; the payload is
/// `<kind> <force> <YYYY-MM>` for monthly CSVs and `<kind> <force> <neighbourhood or ->` for
/// force and neighbourhood files. Running servers `LISTEN` on it to refresh their snapshot.
pub const IMPORT_CHANNEL: &str = "police_api_import";

/// Opens a connection, naming the server (without credentials) when that fails.
pub fn connect(database_url: &str) -> anyhow::Result<PgConnection> {
    PgConnection::establish(database_url)
        .with_context(|| format!("cannot connect to PostgreSQL at {}", redact(database_url)))
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

/// A database URL with any password replaced, fit for logs and error messages.
pub fn redact(database_url: &str) -> String {
    match (database_url.find("://"), database_url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &database_url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    format!("{}{user}:***{}", &database_url[..scheme_end + 3], &database_url[at..])
                }
                None => database_url.to_owned(),
            }
        }
        _ => database_url.to_owned(),
    }
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

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgresql:///db?host=/tmp"), "postgresql:///db?host=/tmp");
    }
}
