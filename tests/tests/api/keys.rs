//! Access control (issue 16, part 3), through the real `police-api` binary over a test
//! database: `keys add|list|revoke`, `serve --require-keys` (two replicas hearing one
//! revocation) and `serve --rate-limit`. Off by default: police.uk's routes answer as before,
//! `key` parameter or not.

use std::io::Write;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel::RunQueryDsl;
use police_tests::{test_database, TestDatabase};

use crate::connections::{connect_from, read_until_closed};
use crate::crime_fixture::{leicester, CENTRE};
use crate::lifecycle::Running;

/// The binary under test, without the caller's settings.
fn police_api() -> Command {
    let mut command = crate::lifecycle::police_api();
    for variable in ["POLICE_REQUIRE_KEYS", "POLICE_RATE_LIMIT"] {
        command.env_remove(variable);
    }
    command
}

/// `police-api keys ARGS` on `db`: exit status, stdout, stderr.
fn keys(db: &TestDatabase, args: &[&str]) -> (i32, String, String) {
    keys_in(&["--database-url", &db.url], args)
}

/// `police-api STORE keys ARGS`: exit status, stdout, stderr.
fn keys_in(store: &[&str], args: &[&str]) -> (i32, String, String) {
    let output = police_api().args(store).arg("keys").args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `keys add NAME EXTRA…`, asserted to succeed; the secret it printed.
fn add_key(db: &TestDatabase, name: &str, extra: &[&str]) -> String {
    add_key_in(&["--database-url", &db.url], name, extra)
}

/// `police-api STORE keys add NAME EXTRA…`, asserted to succeed; the secret it printed.
fn add_key_in(store: &[&str], name: &str, extra: &[&str]) -> String {
    let (status, stdout, stderr) = keys_in(store, &[&["add", name], extra].concat());
    assert_eq!(status, 0, "{stderr}");
    let secret = stdout.trim().to_owned();
    assert_eq!(stdout.lines().count(), 1, "the secret alone on stdout: {stdout:?}");
    assert!(secret.starts_with("pak_") && secret.len() == 68, "{secret}");
    secret
}

/// A running `police-api serve` on a free port.
struct Server {
    process: Running,
    address: SocketAddr,
}

impl Server {
    fn start(db: &TestDatabase, args: &[&str]) -> Server {
        Server::start_in(&["--database-url", &db.url], args)
    }

    /// `police-api --database-url DB serve …` with `variables` set.
    fn start_with_env(db: &TestDatabase, variables: &[(&str, &str)]) -> Server {
        Server::spawn(&["--database-url", &db.url], &[], variables)
    }

    /// `police-api STORE serve … ARGS`.
    fn start_in(store: &[&str], args: &[&str]) -> Server {
        Server::spawn(store, args, &[])
    }

    fn spawn(store: &[&str], args: &[&str], variables: &[(&str, &str)]) -> Server {
        let mut command = police_api();
        command
            .envs(variables.iter().copied())
            .args(store)
            .args(["serve", "--bind", "127.0.0.1:0", "--workers", "2"])
            .args(args);
        let mut process = Running::spawn(command);
        let address = process.serving_address(Duration::from_secs(300));
        Server { process, address }
    }

    fn log(&self) -> String {
        self.process.log()
    }

    /// `GET path`, with `key` as the `X-Api-Key` header when given.
    fn get(&self, path: &str, key: Option<&str>) -> Answer {
        let mut request =
            police_tests::http::agent().get(&format!("http://{}{path}", self.address));
        if let Some(key) = key {
            request = request.header("X-Api-Key", key);
        }
        let mut response = request.call().unwrap();
        let header =
            |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        let (content_type, retry_after, www_authenticate) =
            (header("content-type"), header("retry-after"), header("www-authenticate"));
        Answer {
            status: response.status().as_u16(),
            content_type,
            retry_after,
            www_authenticate,
            body: response.body_mut().with_config().limit(u64::MAX).read_to_string().unwrap(),
        }
    }

    /// Polls `GET path` with `key` every 100 ms for up to 20 s until its status is `status`;
    /// how long that took.
    fn until_status(&self, path: &str, key: &str, status: u16) -> Duration {
        let started = Instant::now();
        loop {
            let answer = self.get(path, Some(key));
            if answer.status == status {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "still {answer:?} after 20 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    retry_after: Option<String>,
    www_authenticate: Option<String>,
    body: String,
}

/// Asserts a refusal as police-api gives its errors: the status and one line of plain text.
#[track_caller]
fn assert_refused(answer: &Answer, status: u16, says: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(answer.content_type.as_deref(), Some("text/plain"), "{answer:?}");
    assert!(answer.body.contains(says), "{answer:?}");
    assert_eq!(answer.body.lines().count(), 1, "{answer:?}");
}

/// police.uk routes (and a v2 one) over the Leicester fixture.
fn paths() -> Vec<String> {
    vec![
        "/api/forces".into(),
        "/api/forces/leicestershire".into(),
        "/api/crime-categories?date=2024-01".into(),
        "/api/crimes-street-dates".into(),
        format!("/api/crimes-street/all-crime?{CENTRE}&date=2024-01"),
        format!("/api/crimes-at-location?{CENTRE}&date=2024-01"),
        "/api/crimes-no-location?force=leicestershire&category=all-crime&date=2024-01".into(),
        "/api/v2/crimes/counts?force=leicestershire&from=2024-01&to=2024-02".into(),
    ]
}

/// `path` with `key=value` added to its query.
fn with_key(path: &str, key: &str) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}key={key}")
}

#[test]
fn off_by_default_answers_are_unchanged_with_a_key_parameter_and_with_keys_required() {
    let db = test_database();
    let _files = leicester(&db);
    let secret = add_key(&db, "reader", &[]);
    let open = Server::start(&db, &[]);
    let guarded = Server::start(&db, &["--require-keys"]);
    for path in paths() {
        let plain = open.get(&path, None);
        assert_eq!(plain.status, 200, "{path}: {plain:?}");
        // police.uk ignores parameters it does not know: so does this server, key or not.
        assert_eq!(open.get(&with_key(&path, "anything"), None), plain, "{path}");
        assert_eq!(open.get(&with_key(&path, &secret), None), plain, "{path}");
        assert_eq!(open.get(&path, Some("not-a-key")), plain, "{path}");
        // A server that requires keys answers a keyed request as the open one does.
        assert_eq!(guarded.get(&with_key(&path, &secret), None), plain, "{path}");
        assert_eq!(guarded.get(&path, Some(&secret)), plain, "{path}");
    }
    // No rate limit unless asked for: far beyond police.uk's burst of 30, nothing is refused.
    for _ in 0..100 {
        assert_eq!(open.get("/api/forces", None).status, 200);
    }
    assert!(open.log().contains("serving the police.uk API"));
    assert!(!open.log().contains("access control"), "{}", open.log());
    assert!(guarded.log().contains("access control: API keys required; no rate limit"));
}

/// The rows of `api_keys` whose text holds `text` anywhere.
fn rows_holding(db: &TestDatabase, text: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT count(*) AS n FROM api_keys \
         WHERE row_to_json(api_keys)::text LIKE '%' || $1 || '%' \
            OR encode(key_hash, 'hex') = $1",
    )
    .bind::<diesel::sql_types::Text, _>(text)
    .get_result::<Count>(&mut db.connect())
    .unwrap()
    .n
}

#[test]
fn keys_required_refuse_missing_bad_expired_and_revoked_keys_on_every_replica() {
    let db = test_database();
    let good = add_key(&db, "analyst-1", &["--expires", "2099-12-31"]);
    let expired = add_key(&db, "analyst-2", &["--expires", "2020-01-01"]);
    let doomed = add_key(&db, "analyst-3", &["--rate", "2.5", "--burst", "7"]);
    // Only the hash is stored.
    for secret in [&good, &expired, &doomed] {
        assert_eq!(rows_holding(&db, secret), 0, "the secret itself is stored");
        let hash = police_store::keys::hash_secret(secret);
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(rows_holding(&db, &hex), 1);
    }
    // A name is a key's own; bad options are refused before anything is stored.
    let (status, _, stderr) = keys(&db, &["add", "analyst-1"]);
    assert_ne!(status, 0);
    assert!(stderr.contains("exists already"), "{stderr}");
    for bad in [
        &["add", "x", "--expires", "next year"][..],
        &["add", "two words"],
        &["add", "y", "--rate", "0"],
        &["add", "z", "--burst", "0"],
    ] {
        let (status, stdout, stderr) = keys(&db, bad);
        assert_ne!(status, 0, "{bad:?}: {stdout}");
        assert!(stdout.is_empty() && !stderr.is_empty(), "{bad:?}: {stderr}");
    }

    let one = Server::start(&db, &["--require-keys"]);
    // The same through the environment.
    let two = Server::start_with_env(&db, &[("POLICE_REQUIRE_KEYS", "true")]);
    for server in [&one, &two] {
        let missing = server.get("/api/forces", None);
        assert_refused(&missing, 401, "X-Api-Key");
        assert!(missing.www_authenticate.is_some(), "{missing:?}");
        assert_refused(&server.get("/api/v2/crime-category-groups", None), 401, "API key");
        assert_refused(&server.get("/api/forces", Some("pak_0000")), 401, "not known");
        assert_refused(&server.get(&with_key("/api/forces", "wrong"), None), 401, "not known");
        assert_refused(&server.get("/api/forces", Some(&expired)), 401, "expired");
        assert_eq!(server.get("/api/forces", Some(&good)).status, 200);
        assert_eq!(server.get(&with_key("/api/forces", &doomed), None).status, 200);
        assert_eq!(server.get("/api/v2/crime-category-groups", Some(&doomed)).status, 200);
        // Open without a key: health, metrics, the docs, the OpenAPI document, the web pages.
        for open in ["/healthz", "/readyz", "/metrics", "/docs", "/api/openapi.json", "/"] {
            assert_eq!(server.get(open, None).status, 200, "{open}");
        }
    }
    // A CORS preflight carries no key and is answered as before.
    let preflight = police_tests::http::agent()
        .options(&format!("http://{}/api/forces", one.address))
        .header("Origin", "https://example.org")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "x-api-key")
        .call()
        .unwrap();
    assert!(preflight.status().is_success(), "{:?}", preflight.status());

    // Revoked while both serve: both refuse it within seconds; the others still work.
    let (status, _, stderr) = keys(&db, &["revoke", "analyst-3"]);
    assert_eq!(status, 0, "{stderr}");
    for server in [&one, &two] {
        let took = server.until_status("/api/forces", &doomed, 401);
        assert!(took < Duration::from_secs(10), "revocation took {took:?}");
        assert_refused(&server.get("/api/forces", Some(&doomed)), 401, "revoked");
        assert_eq!(server.get("/api/forces", Some(&good)).status, 200);
    }
    // A key made while they serve works on both within seconds too.
    let late = add_key(&db, "late", &[]);
    for server in [&one, &two] {
        let took = server.until_status("/api/forces", &late, 200);
        assert!(took < Duration::from_secs(10), "a new key took {took:?}");
    }
    let (status, _, stderr) = keys(&db, &["revoke", "analyst-3"]);
    assert_eq!(status, 0);
    assert!(stderr.contains("revoked already"), "{stderr}");
    let (status, _, stderr) = keys(&db, &["revoke", "nobody"]);
    assert_eq!(status, 2, "{stderr}");

    // The list: every key with its dates and limits, never a secret.
    let (status, list, stderr) = keys(&db, &["list"]);
    assert_eq!(status, 0, "{stderr}");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 5, "{list}");
    assert!(lines[0].starts_with("name") && lines[0].contains("revoked"), "{list}");
    let row = |name: &str| -> Vec<&str> {
        lines.iter().find(|l| l.starts_with(name)).unwrap().split_whitespace().collect()
    };
    // name, created (day, time), expires, revoked, rate/s, burst
    assert_eq!(row("analyst-1")[3..], ["2099-12-31", "00:00:00", "-", "default", "default"]);
    assert_eq!(row("analyst-2")[3..5], ["2020-01-01", "00:00:00"]);
    let revoked = row("analyst-3");
    assert_eq!(revoked.len(), 8, "{list}");
    assert_eq!(revoked[3], "never");
    assert!(revoked[4].len() == 10 && revoked[4].starts_with("20"), "revoked: {list}");
    assert_eq!(revoked[6..], ["2.5", "7"]);
    assert_eq!(row("late")[3..], ["never", "-", "default", "default"]);
    for secret in [&good, &expired, &doomed, &late] {
        assert!(!list.contains(&secret[4..20]), "{list}");
    }
    assert!(one.log().contains("access control: the keys changed"), "{}", one.log());
    assert!(!one.log().contains(&good[4..]), "a secret in the log");
}

/// Requests `GET path` until the first 429 (at most `most`): how many passed, and the 429.
fn count_until_refused(
    server: &Server,
    path: &str,
    key: Option<&str>,
    most: usize,
) -> (usize, Answer) {
    for passed in 0..most {
        let answer = server.get(path, key);
        if answer.status != 200 {
            return (passed, answer);
        }
    }
    panic!("{most} requests passed:\n{}", server.log());
}

/// A burst at a slow rate: 0.2 requests/s refill one request every 5 s, so a burst sent in
/// less than that passes exactly its size even on a loaded machine.
#[test]
fn rate_limit_per_key_passes_each_key_its_burst_then_429_with_retry_after() {
    let db = test_database();
    let plain = add_key(&db, "plain", &[]);
    let roomy = add_key(&db, "roomy", &["--rate", "0.2", "--burst", "10"]);
    let server = Server::start(
        &db,
        &[
            "--require-keys",
            "--rate-limit",
            "per-key",
            "--rate-limit-average",
            "0.2",
            "--rate-limit-burst",
            "5",
        ],
    );
    let (passed, refused) = count_until_refused(&server, "/api/forces", Some(&plain), 50);
    assert_eq!(passed, 5);
    assert_refused(&refused, 429, "too many requests");
    let retry_after: u64 = refused.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((1..=5).contains(&retry_after), "{refused:?}");
    // Its own bucket: the other key's burst is its own, and its own size.
    let (passed, refused) = count_until_refused(&server, "/api/crime-categories", Some(&roomy), 50);
    assert_eq!(passed, 10);
    assert_refused(&refused, 429, "10 at once");
    // No key is 401 before any bucket; open routes are not counted.
    assert_refused(&server.get("/api/forces", None), 401, "API key");
    for _ in 0..40 {
        assert_eq!(server.get("/healthz", None).status, 200);
    }
    // Refusals are counted like every answer.
    let metrics = server.get("/metrics", None).body;
    for status in ["401", "429"] {
        assert!(
            metrics.lines().any(|l| l.starts_with("police_api_http_requests_total")
                && l.contains(&format!("status=\"{status}\""))),
            "{metrics}"
        );
    }
    // The bucket leaks: a request passes again after Retry-After.
    std::thread::sleep(Duration::from_secs(retry_after));
    assert_eq!(server.get("/api/forces", Some(&plain)).status, 200, "{}", server.log());
}

/// One request from the loopback address `source`: the status and the head.
fn status_from(source: &str, server: &Server, path: &str) -> (u16, String) {
    let mut stream = connect_from(source, server.address, None);
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let bytes = read_until_closed(&mut stream);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

#[test]
fn rate_limit_per_address_gives_each_address_its_own_bucket() {
    let db = test_database();
    let server = Server::start(
        &db,
        &["--rate-limit", "per-address", "--rate-limit-average", "0.2", "--rate-limit-burst", "3"],
    );
    for source in ["127.0.0.2", "127.0.0.3"] {
        let statuses: Vec<u16> =
            (0..5).map(|_| status_from(source, &server, "/api/forces").0).collect();
        assert_eq!(statuses, [200, 200, 200, 429, 429], "{source}");
    }
    let (_, head) = status_from("127.0.0.2", &server, "/api/forces?key=anything");
    assert!(head.to_ascii_lowercase().contains("retry-after: "), "{head}");
    // Outside the API, nothing is limited.
    assert_eq!(status_from("127.0.0.2", &server, "/healthz").0, 200);
    assert!(server.log().contains("rate limit per address of 0.2 requests/s"), "{}", server.log());
}

/// `keys` works on the embedded PostgreSQL as `import` does: its own cluster when no server
/// runs, the running server's cluster (through its socket) when one does.
#[test]
fn keys_reach_the_embedded_postgresql_of_a_running_server() {
    use std::os::unix::fs::PermissionsExt;
    // Under /tmp, reachable by the `postgres` user when the tests run as root.
    let dir = tempfile::Builder::new().prefix("police-keys-").tempdir_in("/tmp").unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = dir.path().join("data");
    let store = ["--data-dir", data.to_str().unwrap()];
    let first = add_key_in(&store, "first", &[]);
    let server = Server::start_in(&store, &["--require-keys"]);
    assert_eq!(server.get("/api/forces", Some(&first)).status, 200, "{}", server.log());
    let (status, stdout, stderr) = keys_in(&store, &["add", "second"]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("using its embedded PostgreSQL"), "{stderr}");
    server.until_status("/api/forces", stdout.trim(), 200);
    let (status, _, stderr) = keys_in(&store, &["revoke", "first"]);
    assert_eq!(status, 0, "{stderr}");
    let took = server.until_status("/api/forces", &first, 401);
    assert!(took < Duration::from_secs(10), "revocation took {took:?}");
}

/// Per key, but keys not required: requests without a valid key are limited per address,
/// and a key's requests from that address take from the key's bucket instead.
#[test]
fn rate_limit_per_key_without_required_keys_limits_the_keyless_per_address() {
    let db = test_database();
    let key = add_key(&db, "app", &[]);
    let server = Server::start_with_env(
        &db,
        &[
            ("POLICE_RATE_LIMIT", "per-key"),
            ("POLICE_RATE_LIMIT_AVERAGE", "0.2"),
            ("POLICE_RATE_LIMIT_BURST", "2"),
        ],
    );
    let statuses: Vec<u16> =
        (0..4).map(|_| status_from("127.0.0.4", &server, "/api/forces").0).collect();
    assert_eq!(statuses, [200, 200, 429, 429]);
    // A bad key counts as none.
    assert_eq!(status_from("127.0.0.4", &server, "/api/forces?key=bad").0, 429);
    let keyed: Vec<u16> = (0..3)
        .map(|_| status_from("127.0.0.4", &server, &format!("/api/forces?key={key}")).0)
        .collect();
    assert_eq!(keyed, [200, 200, 429]);
    // Another address has its own bucket.
    assert_eq!(status_from("127.0.0.5", &server, "/api/forces").0, 200);
}
