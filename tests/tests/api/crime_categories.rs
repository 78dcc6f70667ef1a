//! `crime-categories`: police.uk's fixed list.

use police_tests::http::{assert_json, TestServer};
use police_tests::test_database;

use super::crime_fixture::*;

#[test]
fn crime_categories_are_police_uks_15_for_any_date() {
    let db = test_database();
    let server = TestServer::start(&db);
    let expected = format!(
        "[{}]",
        CATEGORIES
            .iter()
            .map(|(url, name)| format!(r#"{{"url":"{url}","name":"{name}"}}"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    for query in ["", "?date=2024-01", "?date=2011-01", "?date=garbage"] {
        let response = server.get(&format!("/api/crime-categories{query}"));
        assert_json(&response);
        assert_eq!(response.body, expected, "{query}");
    }
    assert!(expected.starts_with(r#"[{"url":"all-crime","name":"All crime"},"#));
}

// =======================================================================================
