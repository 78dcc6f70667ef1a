//! `police-api sync` and `serve --sync-every` (issue 16, part 1), end to end with no internet:
//! a small HTTP server in this process (std::net, `Content-Length`, `Range`, `If-Range`,
//! `ETag`/`If-None-Match`) serves zips of generated months, and the real binary fetches,
//! verifies and imports them into a real PostgreSQL while a real server answers.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel::RunQueryDsl;
use police_generate::{generate, GenerateOptions};
use police_tests::test_database;

use crate::lifecycle::{data_dir, get, police_api, Running};

/// The months generated: the first archive holds the first three, the second the last three.
const MONTHS: [&str; 4] = ["2024-01", "2024-02", "2024-03", "2024-04"];

/// What the archive server serves at any path.
#[derive(Clone)]
struct Served {
    body: Arc<Vec<u8>>,
    etag: String,
    /// Close the connection after this many body bytes, on the next full answer only.
    cut_after: Option<usize>,
}

/// The archive server: one thread, one request per connection.
struct ArchiveServer {
    address: SocketAddr,
    served: Arc<Mutex<Served>>,
    /// Each request's `Range` header (or `-`) and status answered.
    requests: Arc<Mutex<Vec<(String, u16)>>>,
    stop: Arc<AtomicBool>,
}

impl ArchiveServer {
    fn start(body: Vec<u8>) -> ArchiveServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap();
        let served = Arc::new(Mutex::new(Served {
            etag: etag_of(&body),
            body: Arc::new(body),
            cut_after: None,
        }));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (served, requests, stop) = (served.clone(), requests.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            stream.set_nonblocking(false).unwrap();
                            let _ = answer(stream, &served, &requests);
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            });
        }
        ArchiveServer { address, served, requests, stop }
    }

    fn url(&self) -> String {
        format!("http://{}/data/archive/latest.zip", self.address)
    }

    fn serve(&self, body: Vec<u8>, cut_after: Option<usize>) {
        *self.served.lock().unwrap() =
            Served { etag: etag_of(&body), body: Arc::new(body), cut_after };
    }

    fn requests(&self) -> Vec<(String, u16)> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for ArchiveServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn etag_of(body: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"{:016x}-{}\"", hasher.finish(), body.len())
}

/// Answers one request: 304 for a matching `If-None-Match`, 206 for a satisfiable `Range`
/// (when `If-Range`, if sent, matches), 416 past the end, else 200; `Connection: close`.
fn answer(
    stream: TcpStream,
    served: &Mutex<Served>,
    requests: &Mutex<Vec<(String, u16)>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut headers = BTreeMap::new();
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let (body, etag, cut_after) = {
        let mut served = served.lock().unwrap();
        let cut = if headers.contains_key("range") { None } else { served.cut_after.take() };
        (served.body.clone(), served.etag.clone(), cut)
    };
    let range_start = headers
        .get("range")
        .filter(|_| headers.get("if-range").is_none_or(|tag| *tag == etag))
        .and_then(|range| range.strip_prefix("bytes=")?.strip_suffix('-')?.parse::<usize>().ok());
    let mut out = stream;
    let common = format!("ETag: {etag}\r\nConnection: close\r\n");
    let status = if headers.get("if-none-match") == Some(&etag) {
        write!(out, "HTTP/1.1 304 Not Modified\r\n{common}\r\n")?;
        304
    } else if let Some(start) = range_start {
        if start >= body.len() {
            write!(out, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\nContent-Length: 0\r\n{common}\r\n", body.len())?;
            416
        } else {
            write!(
                out,
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{}\r\n\
                 Content-Length: {}\r\n{common}\r\n",
                body.len() - 1,
                body.len(),
                body.len() - start
            )?;
            out.write_all(&body[start..])?;
            206
        }
    } else {
        write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{common}\r\n", body.len())?;
        out.write_all(&body[..cut_after.unwrap_or(body.len()).min(body.len())])?;
        200
    };
    out.flush()?;
    requests
        .lock()
        .unwrap()
        .push((headers.get("range").cloned().unwrap_or_else(|| "-".to_owned()), status));
    Ok(())
}

/// Four generated months (two forces, small), in a folder per month as police.uk lays them.
fn generated_months() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        seed: 16,
        forces: vec!["leicestershire".into(), "city-of-london".into()],
        first_month: MONTHS[0].parse().unwrap(),
        months: MONTHS.len() as u32,
        crimes_per_month: 3_000,
        snap_points: 1_500,
        neighbourhoods_per_force: 4,
    };
    generate(&options, dir.path()).unwrap();
    dir
}

/// A zip of the months' folders (`YYYY-MM/YYYY-MM-<force>-<kind>.csv`), as police.uk's.
fn archive_of(generated: &Path, months: &[&str]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for month in months {
        let mut files: Vec<PathBuf> = std::fs::read_dir(generated.join(month))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let name = format!("{month}/{}", file.file_name().unwrap().to_str().unwrap());
            zip.start_file(name, options).unwrap();
            zip.write_all(&std::fs::read(&file).unwrap()).unwrap();
        }
    }
    zip.finish().unwrap().into_inner()
}

/// Monthly files in the months' folders.
fn file_count(generated: &Path, months: &[&str]) -> usize {
    months.iter().map(|month| std::fs::read_dir(generated.join(month)).unwrap().count()).sum()
}

/// `police-api ARGS…`: exit status and stderr.
fn run(args: &[&str]) -> (i32, String) {
    let output = police_api().args(args).output().unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The months `/api/crimes-street-dates` lists, newest first.
fn served_months(address: SocketAddr) -> Vec<String> {
    let (status, body) = get(address, "/api/crimes-street-dates").unwrap();
    assert_eq!(status, 200, "{body}");
    let dates: serde_json::Value = serde_json::from_str(&body).unwrap();
    dates.as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap().to_owned()).collect()
}

fn wait_for_months(address: SocketAddr, want: &[&str], log: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let months = served_months(address);
        if months == want {
            return;
        }
        assert!(Instant::now() < deadline, "still serving {months:?}, not {want:?}\n{}", log());
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Ledger rows, crimes and stops in the store: what "unchanged" compares.
fn store_counts(url: &str) -> (i64, i64, i64) {
    let mut conn = police_store::db::connect(url).unwrap();
    let mut count =
        |sql: &str| diesel::sql_query(sql).get_result::<Count>(&mut conn).unwrap().count;
    (
        count("SELECT count(*) AS count FROM imports"),
        count("SELECT count(*) AS count FROM crimes"),
        count("SELECT count(*) AS count FROM stops"),
    )
}

fn months_in_store(url: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        month: String,
    }
    let mut conn = police_store::db::connect(url).unwrap();
    diesel::sql_query(
        "SELECT DISTINCT to_char(month, 'YYYY-MM') AS month FROM \
         (SELECT month FROM imports UNION ALL SELECT month FROM crimes \
          UNION ALL SELECT month FROM stops UNION ALL SELECT month FROM outcomes) AS m \
         ORDER BY month",
    )
    .load::<Row>(&mut conn)
    .unwrap()
    .into_iter()
    .map(|r| r.month)
    .collect()
}

#[test]
fn a_new_month_arrives_the_oldest_drops_out_and_a_running_embedded_server_switches() {
    let generated = generated_months();
    let first = archive_of(generated.path(), &MONTHS[..3]);
    let second = archive_of(generated.path(), &MONTHS[1..]);
    let archives = ArchiveServer::start(first);
    let dir = data_dir();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap().to_owned();

    // `serve` owns the embedded PostgreSQL of the data dir; `sync` uses it.
    let mut server = Running::spawn({
        let mut command = police_api();
        command.args(["--data-dir", &data_arg, "serve", "--bind", "127.0.0.1:0"]);
        command
    });
    let address = server.serving_address(Duration::from_secs(300));
    let url = archives.url();
    let sync = ["--data-dir", &data_arg, "sync", "--source", &url, "--keep-months", "3"];

    let (status, stderr) = run(&sync);
    assert_eq!(status, 0, "{stderr}\n--- serve:\n{}", server.log());
    assert!(stderr.contains("is in use by police-api (pid"), "{stderr}");
    let files = file_count(generated.path(), &MONTHS[..3]);
    assert!(
        stderr.contains(&format!("import finished: {files} files ({files} imported, 0 unchanged")),
        "{stderr}"
    );
    wait_for_months(address, &["2024-03", "2024-02", "2024-01"], || server.log());

    // Month 4 arrives while clients keep asking; month 1 leaves.
    let updates_before = updated_builds(address);
    archives.serve(second, None);
    let stop = Arc::new(AtomicBool::new(false));
    // Runs until told to stop and it has seen the new months (or 5 minutes): statuses, and
    // the bodies of the month lists (the others' only when they fail).
    let client = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut seen: Vec<(u16, String)> = Vec::new();
            let mut saw_new = false;
            let deadline = Instant::now() + Duration::from_secs(300);
            while !(stop.load(Ordering::Relaxed) && saw_new) && Instant::now() < deadline {
                for path in [
                    "/api/crimes-street-dates",
                    "/api/crimes-street/all-crime?lat=52.6297&lng=-1.1316",
                    "/api/v2/crimes/counts?force=leicestershire&from=2024-01&to=2024-04",
                ] {
                    let (status, body) = match get(address, path) {
                        Some((status, body)) => {
                            let sound = serde_json::from_str::<serde_json::Value>(&body).is_ok();
                            (if sound { status } else { 0 }, body)
                        }
                        None => (0, "no answer".to_owned()),
                    };
                    if path.ends_with("dates") {
                        saw_new |= body.contains("2024-04") && !body.contains("2024-01");
                        seen.push((status, body));
                    } else if status != 200 {
                        seen.push((status, format!("{path}: {body:.500}")));
                    } else {
                        seen.push((status, path.to_owned()));
                    }
                }
            }
            seen
        })
    };
    let (status, stderr) = run(&sync);
    assert_eq!(status, 0, "{stderr}\n--- serve:\n{}", server.log());
    let (new, old) =
        (file_count(generated.path(), &MONTHS[3..]), file_count(generated.path(), &MONTHS[1..3]));
    assert!(
        stderr.contains(&format!(
            "import finished: {} files ({new} imported, {old} unchanged",
            new + old
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "retention: keeping the newest 3 months (from 2024-02): removed 2024-01..2024-01"
        ),
        "{stderr}"
    );
    wait_for_months(address, &["2024-04", "2024-03", "2024-02"], || server.log());
    stop.store(true, Ordering::Relaxed);
    let seen = client.join().unwrap();
    for (status, body) in &seen {
        assert_eq!(*status, 200, "{body}");
    }
    // The requests spanned the switch: answers before it and after it.
    let dates: Vec<&String> =
        seen.iter().map(|(_, body)| body).filter(|b| b.contains("stop-and-search")).collect();
    assert!(dates.iter().any(|b| b.contains("2024-01") && !b.contains("2024-04")), "{dates:?}");
    assert!(dates.iter().any(|b| b.contains("2024-04") && !b.contains("2024-01")), "{dates:?}");

    // The running server read only month 4 and dropped month 1, sharing months 2 and 3
    // with its previous snapshot; it answers as a server that loads the store whole.
    assert!(updated_builds(address) > updates_before, "{}", server.log());
    let (url_of_store, _) = police_store::embedded::running_cluster_url(&data).unwrap().unwrap();
    let mut whole = Running::spawn({
        let mut command = police_api();
        command.env("DATABASE_URL", &url_of_store).args(["serve", "--bind", "127.0.0.1:0"]);
        command
    });
    let whole_address = whole.serving_address(Duration::from_secs(300));
    assert_same_answers(address, whole_address);
    whole.kill();

    // The store itself holds nothing of the month dropped.
    assert_eq!(months_in_store(&url_of_store), ["2024-02", "2024-03", "2024-04"]);

    // `import` reaches the running server's cluster the same way: month 4 again is unchanged.
    let fourth = generated.path().join(MONTHS[3]);
    let (status, stderr) = run(&["--data-dir", &data_arg, "import", fourth.to_str().unwrap()]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("is in use by police-api (pid"), "{stderr}");
    assert!(
        stderr.contains(&format!("import finished: {new} files (0 imported, {new} unchanged")),
        "{stderr}"
    );

    // Nothing new on the server: a 304, nothing imported.
    let (status, stderr) = run(&sync);
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("has not changed since the last sync"), "{stderr}");
    assert_eq!(archives.requests().last().unwrap().1, 304);
    assert!(!data.join("downloads/latest.zip").exists());
}

#[test]
fn an_interrupted_download_is_resumed_with_a_range_and_verified() {
    let db = test_database();
    let generated = generated_months();
    let archive = archive_of(generated.path(), &MONTHS[..2]);
    let half = archive.len() / 2;
    let archives = ArchiveServer::start(archive.clone());
    archives.serve(archive.clone(), Some(half));
    let dir = tempfile::tempdir().unwrap();
    let data_arg = dir.path().to_str().unwrap().to_owned();
    let url = archives.url();
    let sync = ["--database-url", &db.url, "--data-dir", &data_arg, "sync", "--source", &url];

    let (status, stderr) = run(&sync);
    assert_ne!(status, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("stopped after {half} of {} bytes", archive.len())),
        "{stderr}"
    );
    assert!(stderr.contains("the next sync resumes it"), "{stderr}");
    let part = dir.path().join("downloads/latest.zip.part");
    assert_eq!(std::fs::metadata(&part).unwrap().len(), half as u64);
    assert_eq!(store_counts(&db.url), (0, 0, 0));

    let (status, stderr) = run(&sync);
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("resuming an interrupted download at byte {half}")),
        "{stderr}"
    );
    assert_eq!(
        archives.requests(),
        [("-".to_owned(), 200), (format!("bytes={half}-"), 206)],
        "the second attempt asks for the rest only"
    );
    let files = file_count(generated.path(), &MONTHS[..2]);
    assert!(stderr.contains(&format!("({files} imported, 0 unchanged")), "{stderr}");
    assert_eq!(months_in_store(&db.url), ["2024-01", "2024-02"]);
    assert!(!part.exists());

    // Two syncs never share a download: the second one says so and leaves.
    let lock = std::fs::File::create(dir.path().join("downloads/latest.zip.lock")).unwrap();
    lock.lock().unwrap();
    let (status, stderr) = run(&sync);
    assert_eq!(status, 1, "{stderr}");
    assert!(stderr.contains("another sync is downloading or importing latest.zip"), "{stderr}");
    assert_eq!(archives.requests().len(), 2);
}

#[test]
fn a_damaged_archive_is_refused_and_changes_nothing() {
    let db = test_database();
    let generated = generated_months();
    let good = archive_of(generated.path(), &MONTHS[..2]);
    let archives = ArchiveServer::start(good);
    let dir = tempfile::tempdir().unwrap();
    let data_arg = dir.path().to_str().unwrap().to_owned();
    let url = archives.url();
    let sync = ["--database-url", &db.url, "--data-dir", &data_arg, "sync", "--source", &url];
    let (status, stderr) = run(&sync);
    assert_eq!(status, 0, "{stderr}");
    let before = store_counts(&db.url);
    assert!(before.1 > 0);

    // The next month's archive, one byte of a member's compressed data flipped: same size.
    let mut damaged = archive_of(generated.path(), &MONTHS[1..]);
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x55;
    archives.serve(damaged, None);
    let (status, stderr) = run(&sync);
    assert_eq!(status, 1, "{stderr}");
    assert!(stderr.contains("refusing the archive downloaded from"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(store_counts(&db.url), before);
    assert_eq!(months_in_store(&db.url), ["2024-01", "2024-02"]);
    assert!(!dir.path().join("downloads/latest.zip.part").exists());

    // Cut short, with a Content-Length that says so: the central directory is missing.
    let whole = archive_of(generated.path(), &MONTHS[1..]);
    archives.serve(whole[..whole.len() - 100].to_vec(), None);
    let (status, stderr) = run(&sync);
    assert_eq!(status, 1, "{stderr}");
    assert!(stderr.contains("is not a readable zip archive"), "{stderr}");
    assert_eq!(store_counts(&db.url), before);

    // A local file is verified the same way.
    let local = dir.path().join("local.zip");
    std::fs::write(&local, &whole[..whole.len() - 100]).unwrap();
    let local_arg = format!("file://{}", local.display());
    let (status, stderr) =
        run(&["--database-url", &db.url, "--data-dir", &data_arg, "sync", "--source", &local_arg]);
    assert_eq!(status, 1, "{stderr}");
    assert!(stderr.contains("is not a readable zip archive"), "{stderr}");
    assert_eq!(store_counts(&db.url), before);
}

#[test]
fn import_keeps_the_newest_months_when_asked() {
    let db = test_database();
    let generated = generated_months();
    let folder = |month: &str| generated.path().join(month).to_str().unwrap().to_owned();
    let (first, second, third) = (folder(MONTHS[0]), folder(MONTHS[1]), folder(MONTHS[2]));
    let (status, stderr) =
        run(&["--database-url", &db.url, "import", "--keep-months", "2", &first, &second, &third]);
    assert_eq!(status, 0, "{stderr}");
    assert!(
        stderr.contains("skipped (before 2024-02, outside the newest 2 months kept)"),
        "{stderr}"
    );
    assert_eq!(months_in_store(&db.url), ["2024-02", "2024-03"]);

    let fourth = folder(MONTHS[3]);
    let (status, stderr) =
        run(&["--database-url", &db.url, "import", "--keep-months", "2", &fourth]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("removed 2024-02..2024-02"), "{stderr}");
    assert_eq!(months_in_store(&db.url), ["2024-03", "2024-04"]);

    // Without the option, nothing is removed.
    let (status, stderr) = run(&["--database-url", &db.url, "import", &first]);
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(months_in_store(&db.url), ["2024-01", "2024-03", "2024-04"]);
}

/// Snapshot reloads so far whose crime index was updated rather than loaded whole.
fn updated_builds(address: SocketAddr) -> f64 {
    metric(address, "police_api_snapshot_builds_total", &[("build", "updated")]).unwrap_or(0.0)
}

/// Two servers over the same store give the same answers: lists at places and without one,
/// a crime's outcomes, counts, and a `/api/v2/crimes` list paged with one server's cursors
/// at the other (so their record positions agree too).
fn assert_same_answers(a: SocketAddr, b: SocketAddr) {
    let body = |address, path: &str| {
        let (status, body) = get(address, path).unwrap_or((0, String::new()));
        assert_eq!(status, 200, "{path}: {body:.300}");
        body
    };
    let mut paths: Vec<String> = Vec::new();
    for month in ["2024-02", "2024-03", "2024-04"] {
        for (lat, lng) in [(52.6297, -1.1316), (51.5155, -0.0922), (52.64, -1.14)] {
            paths.push(format!("/api/crimes-street/all-crime?lat={lat}&lng={lng}&date={month}"));
            paths.push(format!("/api/outcomes-at-location?lat={lat}&lng={lng}&date={month}"));
            paths.push(format!("/api/stops-street?lat={lat}&lng={lng}&date={month}"));
        }
        paths.push(format!(
            "/api/crimes-no-location?category=all-crime&force=leicestershire&date={month}"
        ));
    }
    paths.push("/api/v2/crimes/counts?force=leicestershire&from=2024-01&to=2024-04".into());
    paths.push("/api/v2/outcomes/counts?force=city-of-london&from=2024-01&to=2024-04".into());
    for path in &paths {
        assert_eq!(body(a, path), body(b, path), "{path}");
    }
    // A crime's outcomes, by a Crime ID from a list.
    let crimes: serde_json::Value = serde_json::from_str(&body(a, &paths[0])).expect("a JSON list");
    let ids: Vec<&str> = crimes
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["persistent_id"].as_str().filter(|id| !id.is_empty()))
        .take(5)
        .collect();
    assert!(!ids.is_empty(), "crimes with a Crime ID at {}", paths[0]);
    for id in ids {
        let path = format!("/api/outcomes-for-crime/{id}");
        assert_eq!(body(a, &path), body(b, &path), "{path}");
    }
    // Paged: each page from one server, the next with its cursor from the other, gives the
    // list one server gives at once.
    let list = "/api/v2/crimes?force=leicestershire&from=2024-02&to=2024-04";
    let ids = |page: &serde_json::Value| -> Vec<i64> {
        let crimes = page["crimes"].as_array().expect("crimes");
        crimes.iter().map(|c| c["id"].as_i64().unwrap()).collect()
    };
    let at_once = body(b, &format!("{list}&limit=all"));
    let at_once: serde_json::Value = serde_json::from_str(&at_once).unwrap();
    let mut paged = Vec::new();
    let mut next = Some(format!("{list}&limit=500"));
    let (mut pages, mut servers) = (0, [a, b].into_iter().cycle());
    while let Some(path) = next {
        let page: serde_json::Value =
            serde_json::from_str(&body(servers.next().unwrap(), &path)).unwrap();
        paged.extend(ids(&page));
        pages += 1;
        // The next page's URL, as a path.
        next = page["next"].as_str().map(|url| url[url.find("/api/").unwrap_or(0)..].to_owned());
    }
    let at_once = ids(&at_once);
    let first_difference = paged.iter().zip(&at_once).position(|(p, w)| p != w);
    assert!(
        paged == at_once,
        "paged: {} crimes, at once: {}, first difference at {first_difference:?}",
        paged.len(),
        at_once.len()
    );
    assert!(pages > 2, "{pages} pages");
}

/// A sample of `/metrics` as a Prometheus parser reads it (the whole text must parse):
/// `None` while the metric is absent.
fn metric(address: SocketAddr, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let (_, body) = get(address, "/metrics")?;
    let scrape = crate::observe::parse_metrics(&body);
    scrape.families.contains_key(name).then(|| crate::observe::value(&scrape, name, labels))
}

#[test]
fn serve_syncs_by_itself_and_a_failed_sync_changes_nothing() {
    let db = test_database();
    let generated = generated_months();
    let good = archive_of(generated.path(), &MONTHS[..2]);
    let mut damaged = good.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x55;
    let archives = ArchiveServer::start(damaged);
    let dir = tempfile::tempdir().unwrap();
    let url = archives.url();
    let mut server = Running::spawn({
        let mut command = police_api();
        command.args([
            "--database-url",
            &db.url,
            "--data-dir",
            dir.path().to_str().unwrap(),
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--sync-every",
            "1s",
            "--sync-source",
            &url,
        ]);
        command
    });
    let address = server.serving_address(Duration::from_secs(120));
    server.wait_for("failed, the store is as it was", Duration::from_secs(120));
    let deadline = Instant::now() + Duration::from_secs(120);
    while metric(address, "police_api_sync_runs_total", &[("outcome", "failure")]).unwrap_or(0.0)
        < 1.0
    {
        assert!(Instant::now() < deadline, "{}", server.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(metric(address, "police_api_sync_last_success", &[]), Some(0.0));
    assert_eq!(served_months(address), Vec::<String>::new());
    assert_eq!(store_counts(&db.url), (0, 0, 0));

    archives.serve(good, None);
    wait_for_months(address, &["2024-02", "2024-01"], || server.log());
    let deadline = Instant::now() + Duration::from_secs(120);
    while metric(address, "police_api_sync_last_success", &[]) != Some(1.0) {
        assert!(Instant::now() < deadline, "{}", server.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        metric(address, "police_api_sync_runs_total", &[("outcome", "success")]).unwrap() >= 1.0
    );
    assert!(metric(address, "police_api_sync_last_success_timestamp_seconds", &[]).is_some());
    let log = server.log();
    assert!(log.contains("sync: import finished:"), "{log}");
}
