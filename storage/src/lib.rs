//! Everything about police.uk data: the PostgreSQL store of record (schema, embedded
//! migrations, an embedded cluster for local use), importing the police.uk bulk archive,
//! generating realistic synthetic archives, and the in-memory index the API answers from.

pub mod db;
pub mod embedded;
pub mod generate;
pub mod import;
pub mod index;
pub mod month;
pub mod neighbourhoods;
pub mod reference;
pub mod schema;
pub mod snapshot;
pub mod spatial;

pub use month::Month;
