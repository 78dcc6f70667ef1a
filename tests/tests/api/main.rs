//! The black-box tests, one binary: each test gets a fresh database on this process's
//! throwaway PostgreSQL (see `police_tests`), puts data in through the real importer and
//! talks to the real server over TCP. One module per route family; the helpers they share
//! live in the `police-tests` library (`tests/src/`), the crime fixture in [`crime_fixture`].

// An `unwrap` fails the test, as meant; clippy.toml's `allow-unwrap-in-tests` does not cover
// the helpers outside `#[test]` functions.
#![allow(clippy::unwrap_used)]

mod crime_fixture;

mod bench_index;
mod cli;
mod compatibility;
mod compression;
mod connections;
mod crime_categories;
mod crimes_at_location;
mod crimes_no_location;
mod crimes_street;
mod disk_full;
mod harness;
mod health;
mod http;
mod import;
mod keys;
mod lifecycle;
mod list_answers;
mod methods;
mod neighbourhoods;
mod observe;
mod openapi;
mod outcomes;
mod polygons;
mod readable_errors;
mod real_data;
mod stalled_lists;
mod stops;
mod sync;
mod v2_boundaries;
mod v2_counts;
mod v2_crimes;
mod v2_download;
mod v2_etag;
mod v2_hotspots;
mod v2_lists;
mod v2_outcomes;
mod v2_places;
mod v2_stops;
mod web;
