//! Tests of the test harness itself: isolation, the migrated template, reversible migrations.

// An `unwrap` fails the test, as meant; clippy.toml's `allow-unwrap-in-tests` does not cover
// the helpers outside `#[test]` functions.
#![allow(clippy::unwrap_used)]

use diesel::sql_types::{BigInt, Bool};
use diesel::{Connection, PgConnection, RunQueryDsl};
use police_tests::{shared_data_dir, skip_without_shared_data, test_database};

fn table_exists(conn: &mut PgConnection, table: &str) -> bool {
    diesel::select(diesel::dsl::sql::<Bool>(&format!("to_regclass('public.{table}') IS NOT NULL")))
        .get_result(conn)
        .unwrap()
}

fn count(conn: &mut PgConnection, table: &str) -> i64 {
    diesel::select(diesel::dsl::sql::<BigInt>(&format!("(SELECT count(*) FROM {table})")))
        .get_result(conn)
        .unwrap()
}

#[test]
fn test_databases_are_isolated() {
    let one = test_database();
    let two = test_database();
    assert_ne!(one.name, two.name);
    assert_ne!(one.url, two.url);
    let mut conn_one = one.connect();
    let mut conn_two = two.connect();
    diesel::sql_query("CREATE TABLE only_in_one (x int)").execute(&mut conn_one).unwrap();
    diesel::sql_query("DELETE FROM forces").execute(&mut conn_one).unwrap();
    assert!(table_exists(&mut conn_one, "only_in_one"));
    assert!(!table_exists(&mut conn_two, "only_in_one"));
    assert_eq!(count(&mut conn_one, "forces"), 0);
    assert_eq!(count(&mut conn_two, "forces"), 45);
}

#[test]
fn template_has_every_migration() {
    let db = test_database();
    let mut conn = db.connect();
    for table in ["forces", "neighbourhoods", "locations", "crimes", "outcomes", "stops"] {
        assert!(table_exists(&mut conn, table), "table {table} missing");
    }
    let applied = police_store::db::run_migrations(&mut conn).unwrap();
    assert!(applied.is_empty(), "the template lacked migrations {applied:?}");
}

#[test]
fn migrations_are_reversible() {
    let db = test_database();
    let mut conn = db.connect();
    let reverted = police_store::db::revert_all_migrations(&mut conn).unwrap();
    assert!(!reverted.is_empty());
    assert!(!table_exists(&mut conn, "crimes"));
    assert!(!table_exists(&mut conn, "forces"));
    let applied = police_store::db::run_migrations(&mut conn).unwrap();
    assert_eq!(applied.len(), reverted.len());
    // The 44 forces police.uk lists, and British Transport Police.
    assert_eq!(count(&mut conn, "forces"), 45);
    assert!(table_exists(&mut conn, "crimes"));
}

#[test]
fn dropping_a_test_database_drops_it() {
    let db = test_database();
    let url = db.url.clone();
    let conn = db.connect(); // an open session does not stop the drop (WITH (FORCE))
    drop(db);
    drop(conn);
    assert!(PgConnection::establish(&url).is_err(), "{url} still exists");
}

#[test]
fn shared_data_skips_cleanly() {
    let dir = skip_without_shared_data!();
    assert!(dir.is_dir());
    assert!(dir.is_absolute());
    assert_eq!(shared_data_dir(), Some(dir));
}
