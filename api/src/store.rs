//! Which PostgreSQL the binary talks to: `DATABASE_URL`, or its own embedded cluster.

use std::path::{Path, PathBuf};

use anyhow::Context;
use police_store::embedded::{
    running_cluster_url, DataDirInUse, EmbeddedOptions, EmbeddedPostgres,
};

use crate::signals;

/// An open store: its URL, and the embedded cluster behind it when this process runs it
/// (stopped when this is dropped).
pub struct Store {
    pub database_url: String,
    embedded: Option<EmbeddedPostgres>,
    /// The pid of the `police-api` whose embedded cluster this store uses, when another
    /// process runs it (see [`Store::open_or_join`]).
    joined: Option<String>,
}

impl Store {
    /// Uses `database_url` when given; otherwise starts (initialising on first use) the
    /// embedded cluster under `data_dir`. A stop signal then stops the cluster cleanly before
    /// the process exits (see [`crate::signals`]).
    pub fn open(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Store> {
        signals::install();
        let store = match database_url {
            Some(url) => Store { database_url: url.to_owned(), embedded: None, joined: None },
            None => {
                std::fs::create_dir_all(data_dir)
                    .with_context(|| format!("creating data directory {}", data_dir.display()))?;
                let embedded = EmbeddedPostgres::start(EmbeddedOptions {
                    data_dir: data_dir.to_path_buf(),
                    durable: true,
                })?;
                signals::stop_on_exit(embedded.shutdown_handle());
                Store {
                    database_url: embedded.database_url(),
                    embedded: Some(embedded),
                    joined: None,
                }
            }
        };
        Ok(store)
    }

    /// Like [`Store::open`], but when another `police-api` (a running `serve`) owns the data
    /// dir, uses its embedded cluster through its socket instead of refusing: how `import`
    /// reaches the store of a running server.
    pub fn open_or_join(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Store> {
        match Store::open(database_url, data_dir) {
            Err(error) if error.downcast_ref::<DataDirInUse>().is_some() => {
                let Some((url, owner)) = running_cluster_url(data_dir)? else {
                    // Released in the meantime: ours to start after all.
                    return Store::open(database_url, data_dir);
                };
                tracing::info!(
                    "data dir {} is in use by police-api (pid {owner}): using its embedded \
                     PostgreSQL",
                    data_dir.display()
                );
                Ok(Store { database_url: url, embedded: None, joined: Some(owner) })
            }
            other => other,
        }
    }

    /// True when this process runs its own PostgreSQL.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// The pid of the other `police-api` whose embedded cluster this store uses.
    pub fn joined(&self) -> Option<&str> {
        self.joined.as_deref()
    }

    /// A `psql` command line that reaches the store, for messages to the user.
    pub fn psql_hint(&self) -> String {
        format!("psql '{}'", police_store::db::redact(&self.database_url))
    }

    /// Stops the embedded cluster (if this process runs one), saying so.
    pub fn close(mut self) -> anyhow::Result<()> {
        if let Some(embedded) = self.embedded.take() {
            tracing::info!("stopping the embedded PostgreSQL");
            embedded.stop()?;
            tracing::info!("the embedded PostgreSQL stopped");
        }
        Ok(())
    }
}

/// The default data directory: `./police-api-data`.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from("police-api-data")
}
