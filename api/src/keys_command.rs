//! `police-api keys add|list|revoke`: API keys in the store (see [`police_store::keys`]);
//! running servers pick every change up by themselves.

use std::process::ExitCode;

use clap::Subcommand;
use police_store::keys::{self, KeyRate, NewKey, Revoked};

/// What `keys` does.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a key. Its secret is printed once, alone on stdout, and stored nowhere (only its
    /// SHA-256 is).
    Add {
        /// The key's name (unique): 1 to 100 letters, digits, '.', '_', '@' or '-'.
        name: String,
        /// Its own rate limit, requests per second on average (default: the server's
        /// --rate-limit-average).
        #[arg(long)]
        rate: Option<f64>,
        /// Its own burst (default: the server's --rate-limit-burst).
        #[arg(long)]
        burst: Option<u32>,
        /// The day (YYYY-MM-DD, from midnight UTC) from which it no longer works.
        #[arg(long)]
        expires: Option<String>,
    },
    /// List the keys: name, created, expiry, revoked, limits (never a secret).
    List,
    /// Revoke a key: every running server refuses it within seconds.
    Revoke {
        /// The key's name.
        name: String,
    },
}

/// Runs `command` against the store at `database_url`.
pub fn run(database_url: &str, command: &KeysCommand) -> anyhow::Result<ExitCode> {
    let mut conn = police_store::db::connect(database_url)?;
    match command {
        KeysCommand::Add { name, rate, burst, expires } => {
            let key = NewKey {
                name: name.clone(),
                rate: KeyRate { average: *rate, burst: *burst },
                expires: expires.clone(),
            };
            let secret = keys::add(&mut conn, &key)?;
            eprintln!(
                "made API key {name:?}; its secret follows, shown this once (the store keeps \
                 only its hash). Send it as the X-Api-Key header or the key parameter."
            );
            println!("{secret}");
        }
        KeysCommand::List => print!("{}", listing(&keys::list(&mut conn)?)),
        KeysCommand::Revoke { name } => match keys::revoke(&mut conn, name)? {
            Revoked::Now => eprintln!(
                "revoked API key {name:?}: running servers refuse it from their next key refresh \
                 (within seconds)"
            ),
            Revoked::Already => eprintln!("API key {name:?} was revoked already"),
            Revoked::NoSuchKey => {
                eprintln!("no API key is named {name:?} (police-api keys list shows them)");
                return Ok(ExitCode::from(2));
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// The keys as a table with a header line, columns aligned.
fn listing(keys: &[keys::KeyListing]) -> String {
    let mut rows = vec![[
        "name".to_owned(),
        "created (UTC)".to_owned(),
        "expires (UTC)".to_owned(),
        "revoked (UTC)".to_owned(),
        "rate/s".to_owned(),
        "burst".to_owned(),
    ]];
    let or_default = |value: Option<String>| value.unwrap_or_else(|| "default".to_owned());
    for key in keys {
        rows.push([
            key.name.clone(),
            key.created.clone(),
            key.expires.clone().unwrap_or_else(|| "never".to_owned()),
            key.revoked.clone().unwrap_or_else(|| "-".to_owned()),
            or_default(key.rate_average.map(|average| average.to_string())),
            or_default(key.rate_burst.map(|burst| burst.to_string())),
        ]);
    }
    let mut widths = [0; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let mut text = String::new();
    for row in &rows {
        let cells: Vec<String> =
            row.iter().zip(widths).map(|(cell, width)| format!("{cell:width$}")).collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}
