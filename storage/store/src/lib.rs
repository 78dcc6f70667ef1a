//! The PostgreSQL store of record: its schema and embedded migrations, connections, an
//! embedded cluster for local use, importing the police.uk bulk archive, and loading the
//! snapshot (the in-memory index of `police-index`) the API answers from.

pub mod db;
pub mod embedded;
pub mod export;
pub mod import;
pub mod keys;
pub mod ledger;
mod neighbourhoods;
pub mod retention;
pub mod schema;
pub mod snapshot;
pub mod sync;

pub use neighbourhoods::load_neighbourhoods;
