//! Observability (issue 16 part 2): `/metrics` read by a Prometheus text-format parser, its
//! counters moving with requests and imports; `X-Request-Id`; the access log and the
//! server's operational messages, human and JSON, with no password in them.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};

use std::time::Duration;

use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue};
use police_tests::fixtures::{import_cleanly, write_file, STREET_HEADER};
use police_tests::http::TestServer;
use police_tests::{poll_until, test_database};
use serde_json::Value as Json;

use crate::crime_fixture::{ids, leicester};
use crate::lifecycle::{police_api, Running};

/// `/metrics` as a Prometheus scraper reads it (the whole text must parse).
pub(crate) fn parse_metrics(text: &str) -> Scrape {
    parse_prometheus(text).unwrap_or_else(|error| panic!("{error:?} in:\n{text}"))
}

pub(crate) type Scrape = MetricsExposition<PrometheusType, PrometheusValue>;

/// The value of the sample of `metric` whose labels include `labels` (0 when absent, as a
/// counter not yet created); histograms give their count.
pub(crate) fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let Some(family) = scrape.families.get(metric) else { return 0.0 };
    let matching: Vec<f64> = family
        .iter_samples()
        .filter(|sample| {
            let set = sample.get_labelset().unwrap();
            labels.iter().all(|(name, value)| set.get_label_value(name) == Some(*value))
        })
        .map(|sample| match &sample.value {
            PrometheusValue::Unknown(n) | PrometheusValue::Gauge(n) => n.as_f64(),
            PrometheusValue::Counter(counter) => counter.value.as_f64(),
            PrometheusValue::Histogram(histogram) => histogram.count.unwrap() as f64,
            PrometheusValue::Summary(_) => panic!("no summaries expected"),
        })
        .collect();
    assert!(matching.len() <= 1, "{metric} {labels:?}: {matching:?}");
    matching.first().copied().unwrap_or(0.0)
}

/// Every value of label `name` in the scrape.
fn label_values(scrape: &Scrape, name: &str) -> Vec<String> {
    let mut values = Vec::new();
    for family in scrape.families.values() {
        for sample in family.iter_samples() {
            if let Some(value) = sample.get_labelset().unwrap().get_label_value(name) {
                values.push(value.to_owned());
            }
        }
    }
    values
}

fn scrape(server: &TestServer) -> Scrape {
    let response = server.get("/metrics");
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
    parse_metrics(&response.body)
}

/// Scrapes until `done` holds (30 s at most): an answer is counted when its body is done,
/// which can be a moment after the client has read it.
fn scrape_until(server: &TestServer, done: impl Fn(&Scrape) -> bool) -> Scrape {
    poll_until(Duration::from_secs(30), Duration::from_millis(100), || scrape(server), done)
}

const CRIMES_STREET: &str = "/api/crimes-street/{category}";
const REQUESTS: &str = "police_api_http_requests_total";
const LATENCY: &str = "police_api_http_request_duration_seconds";
const BYTES: &str = "police_api_http_response_bytes_total";

/// A plain request over its own connection, without `Accept-Encoding`: the head (lower
/// case) and the body as sent.
fn raw_get(server: &TestServer, path: &str, extra: &str) -> (String, Vec<u8>) {
    server.raw(&format!("GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n"))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')).map(str::trim)
}

#[test]
fn metrics_count_requests_by_route_template_and_status() {
    let db = test_database();
    let _files = leicester(&db);
    let crimes = ids(&db, "SELECT id FROM crimes").len();
    let server = TestServer::start(&db);
    let before = scrape(&server);
    let route = [("route", CRIMES_STREET), ("status", "200")];

    // Seven point queries with different queries: one label, the template's.
    let mut bytes = 0.0;
    for i in 0..7 {
        let path = format!("/api/crimes-street/all-crime?lat=52.63{i}&lng=-1.13&date=2024-01");
        let (head, body) = raw_get(&server, &path, "");
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(!head.contains("transfer-encoding"), "{head}");
        bytes += body.len() as f64;
    }
    // Two paths no route matches, one method the route does not take.
    for path in ["/nothing/here?secret=1", "/api/nothing/at/all/here"] {
        assert_eq!(server.get(path).status, 404);
    }
    let (head, _) =
        server.raw("DELETE /api/forces HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(head.starts_with("http/1.1 405"), "{head}");

    let after = scrape_until(&server, |s| {
        value(s, REQUESTS, &route) >= value(&before, REQUESTS, &route) + 7.0
            && value(s, REQUESTS, &[("route", "/api/forces"), ("status", "405")]) >= 1.0
            && value(s, REQUESTS, &[("route", "(unmatched)"), ("status", "404")]) >= 2.0
    });
    assert_eq!(value(&after, REQUESTS, &route) - value(&before, REQUESTS, &route), 7.0);
    let latency = [("route", CRIMES_STREET)];
    assert_eq!(value(&after, LATENCY, &latency) - value(&before, LATENCY, &latency), 7.0);
    assert_eq!(value(&after, BYTES, &latency) - value(&before, BYTES, &latency), bytes);
    assert_eq!(value(&after, REQUESTS, &[("route", "(unmatched)"), ("status", "404")]), 2.0);
    assert_eq!(value(&after, REQUESTS, &[("route", "/api/forces"), ("status", "405")]), 1.0);
    // Labels are templates: no raw path, no query.
    for route in label_values(&after, "route") {
        assert!(!route.contains('?') && !route.contains("nothing"), "{route}");
        assert_ne!(route, "(other)", "a route missing from the table");
    }
    // The histogram's buckets are cumulative and end with +Inf.
    let histogram = after.families[LATENCY]
        .iter_samples()
        .find(|s| s.get_labelset().unwrap().get_label_value("route") == Some(CRIMES_STREET))
        .unwrap();
    let PrometheusValue::Histogram(histogram) = &histogram.value else { panic!("{histogram:?}") };
    let buckets = &histogram.buckets;
    assert!(buckets.windows(2).all(|w| {
        w[0].upper_bound < w[1].upper_bound && w[0].count.as_f64() <= w[1].count.as_f64()
    }));
    assert_eq!(buckets.last().unwrap().upper_bound, f64::INFINITY);
    assert_eq!(buckets.last().unwrap().count.as_f64(), value(&after, LATENCY, &latency));

    // The snapshot and the process.
    let ready = server.get("/readyz").json();
    let version = ready["snapshot"]["version"].as_str().unwrap();
    assert_eq!(
        value(
            &after,
            "police_api_snapshot_info",
            &[("version", version), ("latest_month", "2024-01")]
        ),
        1.0
    );
    assert_eq!(value(&after, "police_api_snapshot_crimes", &[]), crimes as f64);
    assert!(value(&after, "process_resident_memory_bytes", &[]) > 1e6);
    assert!(value(&after, "police_api_snapshot_age_seconds", &[]) >= 0.0);
    // The ledger: the fixture's street files, all their rows imported.
    let street = [("kind", "street")];
    assert_eq!(
        value(&after, "police_api_store_rows_imported", &street),
        ids(&db, "SELECT id FROM crimes WHERE import_id IS NOT NULL").len() as f64
    );
    assert_eq!(value(&after, "police_api_store_rows_rejected", &street), 0.0);
    assert!(value(&after, "police_api_store_last_import_timestamp_seconds", &[]) > 1.7e9);
}

#[test]
fn pages_outside_the_api_are_counted_under_their_own_templates() {
    let db = test_database();
    let server = TestServer::start(&db);
    for path in ["/", "/dashboard", "/docs", "/healthz", "/readyz", "/api/openapi.json", "/metrics"]
    {
        assert_eq!(server.get(path).status, 200, "{path}");
    }
    let after = scrape_until(&server, |s| value(s, REQUESTS, &[("route", "/metrics")]) >= 1.0);
    for route in ["/", "/dashboard", "/docs", "/healthz", "/readyz", "/api/openapi.json"] {
        assert_eq!(value(&after, REQUESTS, &[("route", route), ("status", "200")]), 1.0, "{route}");
    }
    assert_eq!(value(&after, REQUESTS, &[("route", "(other)")]), 0.0);
    // Off police.uk's surface, like /healthz: other methods 405, HEAD answered.
    let (head, _) = server
        .raw("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assert!(head.starts_with("http/1.1 405"), "{head}");
    let (head, body) = server.raw("HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(head.starts_with("http/1.1 200") && body.is_empty(), "{head}");
}

#[test]
fn every_answer_has_a_request_id_and_a_sane_one_is_kept() {
    let db = test_database();
    let server = TestServer::start(&db);
    let mut seen = Vec::new();
    for path in ["/api/forces", "/api/forces", "/nothing", "/healthz"] {
        let (head, _) = raw_get(&server, path, "");
        let id = header(&head, "x-request-id").unwrap_or_else(|| panic!("{path}: {head}"));
        assert!(id.len() >= 16 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        assert!(!seen.contains(&id.to_owned()), "{id} given twice");
        seen.push(id.to_owned());
    }
    let (head, _) = raw_get(&server, "/api/forces", "X-Request-Id: lb-7f3a:42\r\n");
    assert_eq!(header(&head, "x-request-id"), Some("lb-7f3a:42"));
    let (head, _) = raw_get(&server, "/api/forces", "X-Request-Id: two words\r\n");
    assert_ne!(header(&head, "x-request-id"), Some("two words"));
}

/// `police-api ARGS serve` on a free port, over `database_url`, its stderr kept line by line.
fn serve(database_url: &str, args: &[&str]) -> Running {
    let mut command = police_api();
    command
        .env_remove("MALLOC_MMAP_THRESHOLD_")
        .env("DATABASE_URL", database_url)
        .args(args)
        .args(["serve", "--bind", "127.0.0.1:0"]);
    Running::spawn(command)
}

/// How long a server may take to say something awaited.
const WAIT: Duration = Duration::from_secs(60);

/// SIGTERM, a clean exit, then every line it wrote.
fn stop(mut serve: Running) -> Vec<String> {
    serve.signal("TERM");
    let code = serve.wait_exit(WAIT);
    assert_eq!(code, 0, "{}", serve.log());
    serve.log().lines().map(str::to_owned).collect()
}

/// `GET path` with `X-Request-Id: id` over a new connection: the head and body as text.
fn get(address: SocketAddr, path: &str, id: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nX-Request-Id: {id}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    if !head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        return (head.to_owned(), body.to_owned());
    }
    // The body as the server gave it, without the chunks' framing.
    let (mut rest, mut whole) = (body, String::new());
    loop {
        let (size, after) = rest.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size, 16).unwrap();
        if size == 0 {
            return (head.to_owned(), whole);
        }
        whole.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

/// `url` with `password` in it (the test cluster trusts local connections, so the server
/// connects all the same).
fn with_password(url: &str, password: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}password={password}")
}

/// A month of street crime in Leicester, imported while the server runs.
fn import_a_month(db: &police_tests::TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let row = "cafe01,2024-02,Leicestershire Police,Leicestershire Police,-1.131,52.634,On or near Gallowtree Gate,E01013800,Leicester 030A,Burglary,Under investigation,";
    write_file(
        dir.path(),
        "2024-02",
        "leicestershire",
        "street",
        format!("{STREET_HEADER}\r\n{row}\r\n"),
    );
    import_cleanly(db, &[dir.path().to_owned()]);
}

/// JSON logs: every line an object; one access line per request with the route template,
/// status, bytes, duration and request id; the snapshot swap after an import logged and
/// counted; and the password of `DATABASE_URL` nowhere, in the log, `/metrics` or `/readyz`.
#[test]
fn json_logs_have_an_access_line_per_request_and_no_password() {
    let db = test_database();
    let _files = leicester(&db);
    let password = "pw-8c1e5b0d9a";
    let url = with_password(&db.url, password);
    let mut serve = serve(&url, &["--log-format", "json"]);
    let address = serve.serving_address(WAIT);

    let path = "/api/crimes-street/all-crime?lat=52.634&lng=-1.131&date=2024-01";
    let (head, body) = get(address, path, "req-one");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (head, _) = get(address, "/nothing/at/all", "req-two");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");

    import_a_month(&db);
    serve.wait_for("snapshot refreshed", WAIT);
    let (_, metrics_text) = get(address, "/metrics", "req-metrics");
    let metrics = parse_metrics(&metrics_text);
    assert_eq!(
        value(&metrics, "police_api_snapshot_reloads_total", &[("outcome", "success")]),
        1.0
    );
    assert_eq!(value(&metrics, "police_api_snapshot_last_reload_success", &[]), 1.0);
    assert_eq!(value(&metrics, "police_api_snapshot_info", &[("latest_month", "2024-02")]), 1.0);
    let (_, ready) = get(address, "/readyz", "req-ready");
    let mut everything = format!("{metrics_text}\n{ready}");

    let log = stop(serve);
    everything.push_str(&log.join("\n"));
    assert!(!everything.contains(password), "the password was shown:\n{everything}");

    let lines: Vec<Json> = log
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    for line in &lines {
        assert!(line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{line}");
        assert!(line["level"].is_string() && line["message"].is_string(), "{line}");
    }
    let access: HashMap<&str, &Json> = lines
        .iter()
        .filter(|l| l["message"] == "request")
        .map(|l| (l["request_id"].as_str().unwrap(), l))
        .collect();
    let one = access["req-one"];
    assert_eq!(
        (one["method"].as_str(), one["route"].as_str(), one["status"].as_u64()),
        (Some("GET"), Some(CRIMES_STREET), Some(200)),
        "{one}"
    );
    assert_eq!(one["bytes"].as_u64(), Some(body.len() as u64), "{one}");
    assert!(one["duration_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{one}");
    assert_eq!(one["complete"], true, "{one}");
    let two = access["req-two"];
    assert_eq!((two["route"].as_str(), two["status"].as_u64()), (Some("(unmatched)"), Some(404)));
    assert_eq!(access["req-metrics"]["route"], "/metrics");
    // The query (a point anyone could log) is not in the access log.
    assert!(!log.iter().any(|line| line.contains("lat=52.634")), "{log:?}");
    // Start, swap and stop, as structured lines.
    for message in [
        "snapshot loaded in",
        "store: DATABASE_URL",
        "serving the police.uk API",
        "snapshot refreshed in",
        "stopped: drained",
    ] {
        assert!(
            lines.iter().any(|l| l["message"].as_str().is_some_and(|m| m.starts_with(message))),
            "no {message:?} in\n{}",
            log.join("\n")
        );
    }
    let swap = lines
        .iter()
        .find(|l| l["message"].as_str().unwrap().starts_with("snapshot refreshed"))
        .unwrap();
    assert!(swap["version"].as_str().is_some_and(|v| !v.is_empty()), "{swap}");
}

/// The human format (the default): the same messages as sentences, an access line as
/// `request key=value …`, no password.
#[test]
fn human_logs_have_an_access_line_per_request_and_no_password() {
    let db = test_database();
    let password = "pw-37d0a9c4e1";
    let url = with_password(&db.url, password);
    let mut serve = serve(&url, &[]);
    let address = serve.serving_address(WAIT);
    let (head, _) = get(address, "/api/forces", "human-1");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // The access line is written when the answer is done: wait for it rather than race it.
    let line = serve.wait_for("request_id=human-1", WAIT);
    assert!(line.starts_with("request method=GET route=/api/forces status=200 bytes=2"), "{line}");
    assert!(line.contains(" duration_ms=") && line.ends_with("complete=true"), "{line}");
    let log = stop(serve);
    let text = log.join("\n");
    assert!(!text.contains(password), "{text}");
    assert!(text.contains("store: DATABASE_URL (psql '"), "{text}");
    assert!(text.contains("warning: the store holds no crimes"), "{text}");
    assert!(text.contains("stopped: drained"), "{text}");
}

#[test]
fn access_lines_can_be_switched_off_while_requests_are_still_counted() {
    let db = test_database();
    let mut serve = serve(&db.url, &["--access-log", "off"]);
    let address = serve.serving_address(WAIT);
    for n in 0..3 {
        let (head, _) = get(address, "/api/forces", &format!("quiet-{n}"));
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    }
    let forces = [("route", "/api/forces"), ("status", "200")];
    // Counted as each answer's body ends: wait rather than race it.
    let scrape = poll_until(
        Duration::from_secs(10),
        Duration::from_millis(50),
        || parse_metrics(&get(address, "/metrics", "quiet-metrics").1),
        |scrape| value(scrape, REQUESTS, &forces) >= 3.0,
    );
    assert_eq!(value(&scrape, REQUESTS, &forces), 3.0);
    assert_eq!(value(&scrape, "police_api_log_lines_dropped_total", &[]), 0.0);
    let log = stop(serve);
    let text = log.join("\n");
    assert!(!text.contains("quiet-"), "{text}");
    assert!(!log.iter().any(|line| line.starts_with("request ")), "{text}");
    // The last line, written through the queue just before the process exits.
    assert!(text.contains("stopped: drained"), "{text}");
}

#[test]
fn a_stderr_nobody_reads_does_not_hold_up_requests() {
    let db = test_database();
    let mut child = Command::new(env!("CARGO_BIN_EXE_police-api-under-test"))
        .env_remove("MALLOC_MMAP_THRESHOLD_")
        .env("DATABASE_URL", &db.url)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let address: SocketAddr = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "exited before serving");
        if let Some((_, rest)) = line.split_once("serving the police.uk API on http://") {
            break rest.split("/api/").next().unwrap().parse().unwrap();
        }
    };
    // From here on nobody reads stderr: the pipe (64 KiB) fills after a few hundred access
    // lines. 2,000 requests must all be answered, none waiting on stderr.
    // Stops at the first request not answered (20 s).
    let answered = (0..2_000)
        .take_while(|n| {
            let mut stream = TcpStream::connect(address).unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let request = format!(
                "GET /api/forces HTTP/1.1\r\nHost: x\r\nX-Request-Id: unread-{n}\r\n\
                 Connection: close\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).unwrap();
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).is_ok() && raw.starts_with(b"HTTP/1.1 200")
        })
        .count();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answered, 2_000);
}
