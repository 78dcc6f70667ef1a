//! The in-memory index police-api answers from, and the reference data it is made of: months
//! (`YYYY-MM`), police.uk's fixed lists (forces, crime and outcome categories), geometry (an
//! R-tree over snap points, circles, polygons), crimes and outcomes grouped by month and snap
//! point, stop and search, and forces' and neighbourhoods' pages with the boundary index.
//!
//! Nothing here knows about a database: the store (`police-store`) loads rows and hands them
//! to the builders. Cargo enforces it (this crate has no dependency on diesel or libpq; CI
//! checks the dependency tree), and so the index's tests and benchmarks run without
//! PostgreSQL.

#![forbid(unsafe_code)]

pub mod compare;
pub mod crimes;
pub mod csv;
pub mod month;
pub mod neighbourhoods;
pub mod places;
pub mod reference;
pub mod spatial;
pub mod stops;

#[cfg(test)]
mod testing;

pub use month::Month;
