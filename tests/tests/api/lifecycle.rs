//! The process's life: a stop signal under load drains the answers in flight, a killed
//! embedded PostgreSQL is restarted, an interrupted import says what it committed, `demo`
//! leaves a `DATABASE_URL` alone, and no start leaves its lock file behind (issue 13, points
//! 6, 7 and 13). Each test runs the real `police-api` binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel::RunQueryDsl;
use police_tests::fixtures::{force_name, hex_id, write_file, STREET_HEADER};
use police_tests::test_database;

/// The binary under test, without the caller's `DATABASE_URL`.
pub(crate) fn police_api() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_police-api-under-test"));
    command.env_remove("DATABASE_URL");
    command
}

/// A running `police-api` whose stderr is collected line by line.
pub(crate) struct Running {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Running {
    pub(crate) fn spawn(mut command: Command) -> Running {
        let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        Running { child, log }
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits (up to `timeout`) for a log line containing `text`; returns that line.
    pub(crate) fn wait_for(&mut self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.log.lock().unwrap().iter().find(|l| l.contains(text)) {
                return line.clone();
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(200)); // the last lines
                panic!("exited ({status}) before saying {text:?}:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "never said {text:?}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The address from "serving the police.uk API on http://ADDRESS/api/".
    pub(crate) fn serving_address(&mut self, timeout: Duration) -> SocketAddr {
        let line = self.wait_for("serving the police.uk API on http://", timeout);
        let rest = line.split_once("http://").unwrap().1;
        rest.split("/api/").next().unwrap().parse().unwrap()
    }

    /// The process id.
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and reaped.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits up to `timeout` for the exit; its status code.
    pub(crate) fn wait_exit(&mut self, timeout: Duration) -> i32 {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(200)); // the last lines
                return status.code().unwrap_or(-1);
            }
            if Instant::now() >= deadline {
                self.child.kill().unwrap();
                panic!("still running after {timeout:?}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            // SIGTERM first: an embedded cluster is then stopped in order.
            let _ = Command::new("kill").arg(self.child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(60);
            while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A Leicestershire street file of `n` crimes for `month` at distinct points, in `dir`.
fn street_file(dir: &Path, month: &str, n: u32) -> PathBuf {
    let by = force_name("leicestershire");
    let mut text = format!("{STREET_HEADER}\n");
    for i in 0..n {
        let lat = 52.6 + f64::from(i % 200) * 0.0005;
        let lng = -1.2 + f64::from((i / 200) % 200) * 0.0005;
        text.push_str(&format!(
            "{},{month},{by},{by},{lng:.6},{lat:.6},On or near Street {i},E01013000,Leicester 001A,\
             Burglary,Under investigation,\n",
            hex_id(i)
        ));
    }
    write_file(dir, month, "leicestershire", "street", text)
}

/// A data dir under /tmp that the `postgres` user can reach when the tests run as root.
pub(crate) fn data_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new().prefix("police-lifecycle-").tempdir_in("/tmp").unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// What a client saw of one answer.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Status 200 and a whole, valid JSON body.
    Complete,
    /// The connection was refused: the server no longer listens.
    Refused,
    /// Accepted by the kernel but closed before any byte of an answer (a connection still
    /// queued when the server stopped accepting): no answer had started.
    NoAnswer,
    /// An answer that started and did not end properly.
    Broken(String),
}

/// Fetches `path` with `Connection: close`, reading the body slowly (a client on a slow link),
/// and checks that the answer is whole: `Content-Length` bytes, or a chunked body with its
/// last chunk, and valid JSON.
fn fetch_slowly(address: SocketAddr, path: &str) -> Outcome {
    let mut stream = match TcpStream::connect(address) {
        Ok(stream) => stream,
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Outcome::Refused
        }
        Err(error) => return Outcome::Broken(format!("connect: {error}")),
    };
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    if let Err(error) = stream.write_all(request.as_bytes()) {
        return Outcome::Broken(format!("sending the request: {error}"));
    }
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 32 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                bytes.extend_from_slice(&buffer[..n]);
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(_) if bytes.is_empty() => return Outcome::NoAnswer,
            Err(error) => {
                return Outcome::Broken(format!("{error} after {} bytes", bytes.len()));
            }
        }
    }
    if bytes.is_empty() {
        return Outcome::NoAnswer;
    }
    match whole_body(&bytes) {
        Ok(body) => match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(_) => Outcome::Complete,
            Err(error) => Outcome::Broken(format!("invalid JSON ({error}), {} bytes", body.len())),
        },
        Err(why) => Outcome::Broken(why),
    }
}

/// The body of a 200 response, when it arrived whole.
fn whole_body(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no end of headers in {} bytes", bytes.len()))?;
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    let body = &bytes[end + 4..];
    if !head.starts_with("http/1.1 200") {
        return Err(format!("status line {:?}", head.lines().next()));
    }
    let header =
        |name: &str| head.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()));
    if let Some(length) = header("content-length:") {
        let length: usize = length.parse().map_err(|_| format!("Content-Length {length}"))?;
        return if body.len() == length {
            Ok(body.to_vec())
        } else {
            Err(format!("truncated: {} of {length} bytes", body.len()))
        };
    }
    if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
        let mut out = Vec::new();
        let mut rest = body;
        loop {
            let line_end = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or("truncated: a chunk size line cut")?;
            let size_text = String::from_utf8_lossy(&rest[..line_end]);
            let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
                .map_err(|_| format!("bad chunk size {size_text:?}"))?;
            rest = &rest[line_end + 2..];
            if size == 0 {
                return Ok(out);
            }
            if rest.len() < size + 2 {
                return Err(format!("truncated inside a chunk after {} bytes", out.len()));
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
    }
    Err("neither Content-Length nor chunked".into())
}

#[test]
fn a_stop_signal_under_load_drains_every_answer_in_flight_then_exits_0() {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    // 30,000 crimes at distinct points: the answer below is about 10 MB.
    police_tests::fixtures::import_cleanly(&db, &[street_file(dir.path(), "2024-01", 30_000)]);
    let mut server = Running::spawn({
        let mut command = police_api();
        command.args(["--database-url", &db.url, "serve", "--bind", "127.0.0.1:0"]).args([
            "--max-results",
            "0",
            "--shutdown-timeout",
            "120",
            "--workers",
            "2",
        ]);
        command
    });
    let address = server.serving_address(Duration::from_secs(120));
    let path =
        "/api/crimes-street/all-crime?date=2024-01&poly=52.5,-1.3:52.5,-1.0:52.8,-1.0:52.8,-1.3";

    // Clients fetching the large answer in a loop until the server refuses them.
    let outcomes = Arc::new(Mutex::new(Vec::<(Instant, Instant, Outcome)>::new()));
    let done = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (outcomes, done) = (Arc::clone(&outcomes), Arc::clone(&done));
            std::thread::spawn(move || {
                while !done.load(Ordering::SeqCst) {
                    let started = Instant::now();
                    let outcome = fetch_slowly(address, path);
                    let refused = outcome == Outcome::Refused;
                    outcomes.lock().unwrap().push((started, Instant::now(), outcome));
                    if refused {
                        break;
                    }
                }
            })
        })
        .collect();
    // Every client has had a whole answer: the server is warm and all of them are mid-answer.
    let deadline = Instant::now() + Duration::from_secs(300);
    while outcomes.lock().unwrap().iter().filter(|o| o.2 == Outcome::Complete).count() < 4 {
        assert!(Instant::now() < deadline, "no answers: {:?}", outcomes.lock().unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    let at = Instant::now();
    server.signal("TERM");

    // The listener closes at once while the answers in flight go on: a new connection is
    // refused while the process still runs.
    let mut refused_while_draining = false;
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until && server.child.try_wait().unwrap().is_none() {
        if let Err(error) = TcpStream::connect(address) {
            assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused, "{error}");
            refused_while_draining = server.child.try_wait().unwrap().is_none();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = server.wait_exit(Duration::from_secs(150));
    done.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    let log = server.log();
    assert_eq!(status, 0, "{log}");
    assert!(
        log.contains("stop signal: no new connections; finishing the requests in flight"),
        "{log}"
    );
    assert!(log.contains("stopped: drained, every request in flight was answered"), "{log}");

    let outcomes = outcomes.lock().unwrap();
    let broken: Vec<_> = outcomes.iter().filter(|o| matches!(o.2, Outcome::Broken(_))).collect();
    assert!(broken.is_empty(), "answers cut: {broken:?}\n{log}");
    // Answers under way when the signal came, finished after it: the drain was exercised.
    let spanning = outcomes
        .iter()
        .filter(|(start, end, outcome)| *outcome == Outcome::Complete && *start < at && *end > at)
        .count();
    assert!(spanning >= 1, "no answer was in flight at the signal: {outcomes:?}");
    assert!(refused_while_draining, "a new connection was accepted while draining\n{log}");
}

/// `police-api --data-dir DIR import PATH` (the embedded store); its status and stderr.
fn import_into(data_dir: &Path, path: &Path) -> (i32, String) {
    let output = police_api()
        .args(["--data-dir", data_dir.to_str().unwrap(), "import"])
        .arg(path)
        .output()
        .unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// GET `path` on `address`: status and body (None when the server cannot be reached).
pub(crate) fn get(address: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut response =
        police_tests::http::agent().get(&format!("http://{address}{path}")).call().ok()?;
    let status = response.status().as_u16();
    Some((status, response.body_mut().read_to_string().ok()?))
}

#[test]
fn a_killed_embedded_postgresql_is_restarted_and_an_import_reaches_it() {
    let dir = data_dir();
    let files = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = Running::spawn({
        let mut command = police_api();
        command.args(["--data-dir", data.to_str().unwrap(), "serve", "--bind", "127.0.0.1:0"]);
        command
    });
    let address = server.serving_address(Duration::from_secs(300));
    let forces = get(address, "/api/forces").unwrap();
    assert_eq!(forces.0, 200);

    let pid_file = std::fs::read_to_string(data.join("pgdata/postmaster.pid")).unwrap();
    let postmaster = pid_file.lines().next().unwrap().trim().to_owned();
    assert!(Command::new("kill").args(["-KILL", &postmaster]).status().unwrap().success());
    server.wait_for(
        "the embedded PostgreSQL exited unexpectedly (killed by signal 9",
        Duration::from_secs(60),
    );
    // Meanwhile, the API answers from memory.
    for _ in 0..20 {
        assert_eq!(get(address, "/api/forces"), Some(forces.clone()));
        std::thread::sleep(Duration::from_millis(50));
    }
    server.wait_for("the embedded PostgreSQL restarted (pid", Duration::from_secs(120));

    // `import` into the same data dir reaches the running server's cluster.
    let csv = street_file(files.path(), "2024-03", 10);
    let (status, stderr) = import_into(&data, &csv);
    assert_eq!(status, 0, "{stderr}\n--- serve:\n{}", server.log());
    assert!(stderr.contains("is in use by police-api (pid"), "{stderr}");
    assert!(stderr.contains("using its embedded PostgreSQL"), "{stderr}");
    // And the server serves the month once its refresher has reconnected and reloaded.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let dates = get(address, "/api/crimes-street-dates").unwrap().1;
        if dates.contains("2024-03") {
            break;
        }
        assert!(Instant::now() < deadline, "never served 2024-03: {dates}\n{}", server.log());
        std::thread::sleep(Duration::from_millis(200));
    }

    server.signal("TERM");
    assert_eq!(server.wait_exit(Duration::from_secs(120)), 0, "{}", server.log());
    let log = server.log();
    // Once per state change, not once per retry.
    assert_eq!(log.matches("exited unexpectedly").count(), 1, "{log}");
    assert!(log.matches("snapshot refresh: lost the database").count() <= 1, "{log}");
    assert!(!log.contains("retrying in"), "{log}");
    // A clean exit: the cluster stopped, the lock file removed.
    assert!(log.contains("the embedded PostgreSQL stopped"), "{log}");
    assert!(!data.join("police-api.lock").exists(), "{log}");
    assert!(!data.join("pgdata/postmaster.pid").exists(), "{log}");
}

#[test]
fn an_interrupted_import_says_what_it_committed_and_rolls_back_the_rest() {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    let small = street_file(dir.path(), "2024-01", 50);
    let large = street_file(dir.path(), "2024-02", 5_000);
    let mut import = Running::spawn({
        let mut command = police_api();
        command
            .args([
                "--database-url",
                &db.url,
                "import",
                "--jobs",
                "1",
                "--pause-after-rows",
                "2500",
            ])
            .arg(&small)
            .arg(&large);
        command
    });
    // The small file committed, the large one paused inside its transaction.
    import.wait_for("paused after 2500 rows", Duration::from_secs(120));
    import.signal("INT");
    let status = import.wait_exit(Duration::from_secs(60));
    let log = import.log();
    assert_eq!(status, 130, "{log}");
    assert!(
        log.contains(
            "interrupted: 1 file committed; the 1 file in progress rolled back. Rerun the same \
             command to continue"
        ),
        "{log}"
    );
    let crimes = || {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        diesel::sql_query("SELECT count(*) AS n FROM crimes")
            .get_result::<Count>(&mut db.connect())
            .unwrap()
            .n
    };
    assert_eq!(crimes(), 50, "{log}");
    // The rerun continues: the committed file is unchanged, the other imported.
    let output = police_api()
        .args(["--database-url", &db.url, "import"])
        .arg(&small)
        .arg(&large)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("(1 imported, 1 unchanged"), "{stderr}");
    assert_eq!(crimes(), 5_050);
}

#[test]
fn demo_with_a_database_url_refuses_before_touching_it() {
    let db = test_database();
    let dir = data_dir();
    let output = police_api()
        .args(["--data-dir", dir.path().to_str().unwrap(), "demo", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("DATABASE_URL is set ("), "{stderr}");
    assert!(stderr.contains("refusing to put the demo's 240,000 made-up crimes into"), "{stderr}");
    assert!(stderr.contains("pass --into-database-url"), "{stderr}");
    // Nothing was done: no archive generated, no migration run or file imported there.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{stderr}");
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let files = diesel::sql_query("SELECT count(*) AS n FROM crimes")
        .get_result::<Count>(&mut db.connect())
        .unwrap();
    assert_eq!(files.n, 0);
}

#[test]
fn a_failed_start_leaves_no_lock_file() {
    let dir = data_dir();
    // A `pgdata` that is not a cluster: the start fails once the lock is taken.
    std::fs::create_dir_all(dir.path().join("pgdata")).unwrap();
    std::fs::write(dir.path().join("pgdata/stray"), "x").unwrap();
    for command in ["serve", "import"] {
        let mut args = vec!["--data-dir", dir.path().to_str().unwrap(), command];
        let csv;
        if command == "import" {
            csv = street_file(dir.path(), "2024-01", 1);
            args.push(csv.to_str().unwrap());
        } else {
            args.extend(["--bind", "127.0.0.1:0"]);
        }
        let output = police_api().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("holds no PostgreSQL cluster"), "{stderr}");
        assert!(!dir.path().join("police-api.lock").exists(), "{command} left the lock file");
    }
}
