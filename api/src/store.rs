//! Which PostgreSQL the binary talks to: `DATABASE_URL`, or its own embedded cluster.

use std::path::{Path, PathBuf};

use anyhow::Context;
use police_store::embedded::{EmbeddedOptions, EmbeddedPostgres};

/// An open store: its URL, and the embedded cluster behind it when there is one (stopped
/// when this is dropped).
pub struct Store {
    pub database_url: String,
    embedded: Option<EmbeddedPostgres>,
}

impl Store {
    /// Uses `database_url` when given; otherwise starts (initialising on first use) the
    /// embedded cluster under `data_dir`. Ctrl-C or SIGTERM then stops the cluster cleanly
    /// before the process exits.
    pub fn open(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Store> {
        let store = match database_url {
            Some(url) => Store { database_url: url.to_owned(), embedded: None },
            None => {
                std::fs::create_dir_all(data_dir)
                    .with_context(|| format!("creating data directory {}", data_dir.display()))?;
                let embedded = EmbeddedPostgres::start(EmbeddedOptions {
                    data_dir: data_dir.to_path_buf(),
                    durable: true,
                })?;
                Store { database_url: embedded.database_url(), embedded: Some(embedded) }
            }
        };
        let shutdown = store.embedded.as_ref().map(EmbeddedPostgres::shutdown_handle);
        // Installing twice (a second Store in one process) is harmless: the first handler
        // stays, and it only ever needs to stop the cluster it was given.
        let _ = ctrlc::set_handler(move || {
            if let Some(shutdown) = &shutdown {
                eprintln!("interrupted: stopping the embedded PostgreSQL");
                shutdown.stop();
            }
            std::process::exit(130);
        });
        Ok(store)
    }

    /// True when this process runs its own PostgreSQL.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// A `psql` command line that reaches the store, for messages to the user.
    pub fn psql_hint(&self) -> String {
        format!("psql '{}'", police_store::db::redact(&self.database_url))
    }
}

/// The default data directory: `./police-api-data`.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from("police-api-data")
}
