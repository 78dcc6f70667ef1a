//! `/healthz` and `/readyz` (issue 16 part 2; issue 13 point 7's "make the state visible"):
//! liveness, and readiness with what the snapshot refresher last saw of PostgreSQL.

use std::time::Duration;

use diesel::RunQueryDsl;
use police_tests::http::{assert_json, TestServer};
use police_tests::{poll_until, test_database};
use serde_json::Value;

use crate::connections::ServeProcess;
use crate::crime_fixture::{ids, leicester};

#[test]
fn healthz_is_ok_and_readyz_describes_the_snapshot() {
    let db = test_database();
    let _files = leicester(&db);
    let crimes = ids(&db, "SELECT id FROM crimes").len();
    let server = TestServer::start(&db);

    let health = server.get("/healthz");
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));

    let ready = server.get("/readyz");
    let body = assert_json(&ready);
    assert_eq!(body["status"], "ready");
    assert_eq!(body["snapshot"]["crimes"], crimes);
    assert_eq!(body["snapshot"]["latest_month"], "2024-01");
    assert!(body["snapshot"]["version"].as_str().is_some_and(|v| !v.is_empty()), "{body}");
    assert!(body["snapshot"]["loaded_at"].as_str().is_some_and(|t| t.ends_with("+00:00")));
    assert!(body["snapshot"]["age_seconds"].as_u64().is_some_and(|age| age < 3600));
    assert_eq!(body["database"]["status"], "reachable");
    assert_eq!(body["database"]["unreachable_since"], Value::Null);
    // Off the police.uk surface: other methods are 405 with `Allow`, HEAD is answered.
    let (head, _) = server.raw("DELETE /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(head.starts_with("http/1.1 405"), "{head}");
    assert!(head.contains("allow: get, head, options"), "{head}");
    let (head, body) = server.raw("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(head.starts_with("http/1.1 200") && body.is_empty(), "{head}");
}

fn readiness(server: &ServeProcess) -> Value {
    let url = format!("http://{}/readyz", server.address);
    let mut response = ureq::get(&url).call().unwrap();
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

/// Polls `/readyz` until `done` holds (30 s at most), and gives that answer.
fn readiness_until(server: &ServeProcess, done: impl Fn(&Value) -> bool) -> Value {
    poll_until(Duration::from_secs(30), Duration::from_millis(200), || readiness(server), done)
}

/// A serving process whose database stops taking connections: `/readyz` says `degraded`
/// (still 200, answers still come from memory) with since when and why, and `ready` again
/// once the database is back.
#[test]
fn readyz_says_degraded_while_the_store_cannot_be_reached() {
    let db = test_database();
    let server = ServeProcess::start(&db, &[]);
    let body = readiness(&server);
    assert_eq!(
        (body["status"].as_str(), body["database"]["status"].as_str()),
        (Some("ready"), Some("reachable"))
    );

    // From another database: a database cannot refuse the connection that alters it.
    let other = db.url.replacen(&format!("/{}", db.name), "/postgres", 1);
    assert_ne!(other, db.url);
    let mut admin = police_store::db::connect(&other).unwrap();
    let refuse = format!("ALTER DATABASE \"{}\" WITH ALLOW_CONNECTIONS false", db.name);
    diesel::sql_query(refuse).execute(&mut admin).unwrap();
    let cut = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{}' AND pid <> pg_backend_pid()",
        db.name
    );
    diesel::sql_query(cut).execute(&mut admin).unwrap();

    let body = readiness_until(&server, |b| b["status"] == "degraded");
    assert_eq!(body["database"]["status"], "unreachable");
    assert!(body["database"]["unreachable_since"].as_str().is_some_and(|t| t.ends_with("+00:00")));
    assert!(body["database"]["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    assert_eq!(server.get_status("/api/forces"), 200, "answers still come from memory");

    let allow = format!("ALTER DATABASE \"{}\" WITH ALLOW_CONNECTIONS true", db.name);
    diesel::sql_query(allow).execute(&mut admin).unwrap();
    let body = readiness_until(&server, |b| b["status"] == "ready");
    assert_eq!(body["database"]["status"], "reachable");
    assert_eq!(body["database"]["error"], Value::Null);
}
