//! Connections under abuse (issue 13, points 1, 2, 9 and 11), over raw TCP sockets: held
//! request bodies, clients that request large answers and never read them, too many
//! connections from one address, request lines of every length, and large answers beside
//! small ones.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::lifecycle::{police_api, Running};
use police_api::server::Limits;
use police_tests::fixtures::{import_cleanly, stops_file};
use police_tests::http::TestServer;
use police_tests::{test_database, TestDatabase};
use socket2::{Domain, Socket, Type};

/// Stops of the large answer: about 11 MB of `stops-force` JSON.
const LARGE_STOPS: usize = 20_000;
pub(crate) const LARGE_PATH: &str = "/api/stops-force?force=leicestershire&date=2024-01";

/// Short timeouts, so that the tests see them fire.
fn short_limits() -> Limits {
    Limits {
        body_timeout: Duration::from_secs(2),
        send_timeout: Duration::from_secs(2),
        max_connections_per_client: 6,
        ..Limits::default()
    }
}

/// Imports a month of [`LARGE_STOPS`] stops of Leicestershire without a location, so that
/// [`LARGE_PATH`] is a large answer.
pub(crate) fn large_answer_fixture(db: &TestDatabase) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = (0..LARGE_STOPS)
        .map(|i| {
            format!(
                "Person search,2024-01-{:02}T{:02}:{:02}:{:02}+00:00,,,,,Male,18-24,\
                 \"White - English/Welsh/Scottish/Northern Irish/British\",White,\
                 Misuse of Drugs Act 1971 (section 23),Controlled drugs,\
                 A no further action disposal,False,False",
                1 + i % 28,
                i % 24,
                i / 24 % 60,
                i % 60
            )
        })
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    import_cleanly(db, &[stops_file(dir.path(), "2024-01", "leicestershire", &rows)]);
    dir
}

/// A connection from `source` (another loopback address stands for another client).
pub(crate) fn connect_from(
    source: &str,
    server: SocketAddr,
    receive_buffer: Option<usize>,
) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    if let Some(size) = receive_buffer {
        socket.set_recv_buffer_size(size).unwrap();
    }
    let source: SocketAddr = format!("{source}:0").parse().unwrap();
    socket.bind(&source.into()).unwrap();
    socket.connect(&server.into()).unwrap();
    socket.into()
}

/// Reads until the server closes (or 60 s pass, which fails the test).
pub(crate) fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return bytes,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return bytes,
            Err(error) => panic!("no close within 60 s ({error}); read {} bytes", bytes.len()),
        }
    }
}

/// Reads one response with a `Content-Length` from a kept-alive connection: head, body.
fn read_response(stream: &mut TcpStream) -> (String, Vec<u8>) {
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let length = header(&head, "content-length").map_or(0, |v| v.parse().unwrap());
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    (head, body)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

pub(crate) fn status_of(response: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(&response[..response.len().min(12)]);
    text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status: {text:?}"))
}

pub(crate) fn body_of(response: &[u8]) -> String {
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
    String::from_utf8_lossy(&response[split + 4..]).into_owned()
}

const HELD_BODY: &[u8] = b"POST /api/crimes-street/all-crime HTTP/1.1\r\nHost: x\r\n\
    Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nlat=51.5";

/// issue 13 point 2: a body declared 100 bytes long of which 8 arrive.
#[test]
fn a_held_body_is_answered_408_within_the_body_timeout() {
    let db = test_database();
    let server = TestServer::with_limits(&db, short_limits());
    let started = Instant::now();
    let mut held = TcpStream::connect(server.address()).unwrap();
    held.write_all(HELD_BODY).unwrap();
    let response = read_until_closed(&mut held);
    assert_eq!(status_of(&response), 408, "{}", String::from_utf8_lossy(&response));
    assert!(
        body_of(&response).contains("the request body did not arrive within 2 s"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    // Generous: the point is not being held for minutes (before: ≥ 300 s).
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
    assert_eq!(server.get("/api/forces").status, 200);
}

/// issue 13 point 2: one address holding its whole allowance of connections (here 6, each
/// holding a body) is refused a 7th with 429, while another address is served; once its
/// connections close, the address is served again.
#[test]
fn connections_beyond_the_per_client_limit_are_refused_while_others_are_served() {
    let db = test_database();
    let limits = Limits { body_timeout: Duration::from_secs(300), ..short_limits() };
    let server = TestServer::with_limits(&db, limits);
    let mut held = Vec::new();
    for _ in 0..limits.max_connections_per_client {
        let mut stream = connect_from("127.0.0.1", server.address(), None);
        // A complete exchange first: the connection is surely accepted and counted.
        stream.write_all(b"GET /api/forces HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let (head, _) = read_response(&mut stream);
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        stream.write_all(HELD_BODY).unwrap();
        held.push(stream);
    }
    let mut one_more = connect_from("127.0.0.1", server.address(), None);
    let _ = one_more.write_all(b"GET /api/forces HTTP/1.1\r\nHost: x\r\n\r\n");
    let refused = read_until_closed(&mut one_more);
    assert_eq!(status_of(&refused), 429, "{}", String::from_utf8_lossy(&refused));
    assert!(body_of(&refused).contains("already holds 6 open connections"));

    let mut other = connect_from("127.0.0.2", server.address(), None);
    other.write_all(b"GET /api/forces HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    assert_eq!(status_of(&read_until_closed(&mut other)), 200);

    drop(held);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut again = connect_from("127.0.0.1", server.address(), None);
        let _ =
            again.write_all(b"GET /api/forces HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let status = status_of(&read_until_closed(&mut again));
        if status == 200 {
            break;
        }
        assert_eq!(status, 429);
        assert!(Instant::now() < deadline, "the closed connections were never given back");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A `GET` request line of exactly `length` bytes (without its line end).
fn request_line(length: usize) -> String {
    let start = "GET /api/forces?padding=";
    let end = " HTTP/1.1";
    format!("{start}{}{end}", "a".repeat(length - start.len() - end.len()))
}

/// issue 13 point 9: every length around the limit and around what the HTTP layer parses
/// (65,534 bytes of target) is either answered or refused with 414 and a message naming the
/// line's length and the limit; never an empty 400.
#[test]
fn request_lines_of_every_length_are_answered_or_refused_414_with_a_message() {
    let db = test_database();
    for limit in [1_000, 65_536] {
        let server =
            TestServer::with_limits(&db, Limits { max_request_line: limit, ..Limits::default() });
        for length in [limit - 1, limit, limit + 1, 65_534, 65_535, 70_000, 200_000] {
            let mut stream = TcpStream::connect(server.address()).unwrap();
            let request =
                format!("{}\r\nHost: x\r\nConnection: close\r\n\r\n", request_line(length));
            stream.write_all(request.as_bytes()).unwrap();
            let response = read_until_closed(&mut stream);
            let status = status_of(&response);
            if length <= limit {
                assert_eq!(status, 200, "{length} bytes, limit {limit}");
            } else {
                assert_eq!(status, 414, "{length} bytes, limit {limit}");
                assert_eq!(
                    body_of(&response),
                    format!(
                        "Request line is too large ({length} > {limit} bytes): send long \
                         polygons with POST as a form body (poly=…&date=…)"
                    ),
                );
            }
        }
        // On a kept-alive connection, after a request with a body (of a known length, or
        // chunked with a trailer): the same.
        let form = "POST /api/crimes-street/all-crime HTTP/1.1\r\nHost: x\r\n\
                    Content-Type: application/x-www-form-urlencoded\r\n";
        for with_body in [
            format!("{form}Content-Length: 8\r\n\r\nlat=51.5"),
            format!(
                "{form}Transfer-Encoding: chunked\r\n\r\n\
                 4\r\nlat=\r\n4;x=y\r\n51.5\r\n0\r\nX-Note: z\r\n\r\n"
            ),
        ] {
            let mut stream = TcpStream::connect(server.address()).unwrap();
            let then = format!("{}\r\nHost: x\r\nConnection: close\r\n\r\n", request_line(100_000));
            stream.write_all(format!("{with_body}{then}").as_bytes()).unwrap();
            let text = String::from_utf8_lossy(&read_until_closed(&mut stream)).into_owned();
            assert!(text.starts_with("HTTP/1.1 400"), "{text}");
            assert!(text.contains("HTTP/1.1 414"), "{text}");
            assert!(text.contains(&format!("(100000 > {limit} bytes)")), "{text}");
        }
    }
}

/// issue 13 point 1: a client that requests a large answer and reads none of it is
/// dropped after the send timeout (before: held for as long as it stayed).
#[test]
fn a_client_that_stops_reading_is_dropped_after_the_send_timeout() {
    let db = test_database();
    let _files = large_answer_fixture(&db);
    let server = TestServer::with_limits(&db, short_limits());
    let full = server.get_bytes(LARGE_PATH).2.len();
    assert!(full > 8_000_000, "{full} bytes: too small to fill the socket buffers");

    let mut stalled = connect_from("127.0.0.1", server.address(), Some(4096));
    stalled.write_all(format!("GET {LARGE_PATH} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).unwrap();
    // Far beyond the 2 s send timeout, reading nothing.
    std::thread::sleep(Duration::from_secs(8));
    let received = read_until_closed(&mut stalled);
    assert!(
        received.len() < full,
        "the whole answer ({} bytes) was still there for a client that stopped reading",
        received.len()
    );
    assert_eq!(server.get("/api/forces").status, 200);
}

/// The server under test as a process of its own, on a port it chose; killed when dropped.
pub(crate) struct ServeProcess {
    process: Running,
    pub(crate) address: SocketAddr,
}

impl ServeProcess {
    pub(crate) fn start(db: &TestDatabase, args: &[&str]) -> ServeProcess {
        let mut command = police_api();
        command
            // Set by the server itself (see `memory_taken_by_a_burst_is_given_back`).
            .env_remove("MALLOC_MMAP_THRESHOLD_")
            .args(["--database-url", &db.url, "serve", "--bind", "127.0.0.1:0"])
            .args(args);
        let mut process = Running::spawn(command);
        let address = process.serving_address(Duration::from_secs(120));
        ServeProcess { process, address }
    }

    /// The process id.
    pub(crate) fn id(&self) -> u32 {
        self.process.id()
    }

    /// Resident memory, in bytes.
    fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib * 1024
    }

    pub(crate) fn get_status(&self, path: &str) -> u16 {
        let mut stream = TcpStream::connect(self.address).unwrap();
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            )
            .unwrap();
        status_of(&read_until_closed(&mut stream))
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.process.kill();
    }
}

/// issue 13 point 1: 40 clients each request an 11 MB answer and never read it. The server
/// (its own process, its memory read from /proc) holds far less than 40 answers and keeps
/// answering others.
#[test]
fn many_clients_that_never_read_hold_bounded_memory_and_others_are_served() {
    let db = test_database();
    let _files = large_answer_fixture(&db);
    let server = ServeProcess::start(&db, &["--send-timeout", "120", "--workers", "2"]);
    assert_eq!(server.get_status(LARGE_PATH), 200);
    let body = 11_000_000u64;
    let before = server.rss();
    let clients = 40;
    let mut stalled = Vec::new();
    for _ in 0..clients {
        let mut stream = connect_from("127.0.0.1", server.address, Some(4096));
        stream
            .write_all(format!("GET {LARGE_PATH} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .unwrap();
        stalled.push(stream);
    }
    let mut peak = 0;
    for _ in 0..20 {
        peak = peak.max(server.rss());
        assert_eq!(server.get_status("/api/forces"), 200);
        std::thread::sleep(Duration::from_millis(300));
    }
    // Every stalled client has its answer started (a status line to read).
    for stream in &mut stalled {
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).unwrap();
        assert_eq!(status_of(&head), 200);
    }
    peak = peak.max(server.rss());
    let grown = peak.saturating_sub(before);
    assert!(
        grown < clients * body / 4,
        "RSS grew by {} MB for {clients} stalled clients of {} MB answers",
        grown >> 20,
        body >> 20
    );
}

/// issue 13 point 1: the memory a burst of stalled readers took is given back once they are
/// gone. The serving process restarts itself with glibc's `MALLOC_MMAP_THRESHOLD_` (64 KiB),
/// so answer chunks are unmapped when freed; before, 40–60 % of such a burst's growth stayed
/// with the allocator for good.
#[test]
fn memory_taken_by_a_burst_is_given_back() {
    let db = test_database();
    let _files = large_answer_fixture(&db);
    let server = ServeProcess::start(&db, &["--send-timeout", "120", "--workers", "2"]);
    let environment = std::fs::read(format!("/proc/{}/environ", server.id())).unwrap();
    assert!(
        environment.split(|b| *b == 0).any(|v| v == b"MALLOC_MMAP_THRESHOLD_=65536"),
        "serve did not restart itself with MALLOC_MMAP_THRESHOLD_"
    );
    assert_eq!(server.get_status(LARGE_PATH), 200);
    let before = server.rss();
    let mut stalled = Vec::new();
    for _ in 0..200 {
        let mut stream = connect_from("127.0.0.1", server.address, Some(4096));
        stream
            .write_all(format!("GET {LARGE_PATH} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .unwrap();
        stalled.push(stream);
    }
    for stream in &mut stalled {
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).unwrap();
        assert_eq!(status_of(&head), 200);
    }
    std::thread::sleep(Duration::from_secs(2));
    let grown = server.rss().saturating_sub(before);
    assert!(grown > 30 << 20, "the burst took only {} MB: too little to tell", grown >> 20);
    drop(stalled);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let kept = server.rss().saturating_sub(before);
        if kept <= grown / 5 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} MB of the burst's {} MB still held 30 s after its clients left",
            kept >> 20,
            grown >> 20
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(server.get_status("/api/forces"), 200);
}

/// A `/api/v2/` page of 10,000 stops as GeoJSON: an answer built whole, of several MB.
const WHOLE_PAGE: &str =
    "/api/v2/stops?force=leicestershire&from=2024-01&to=2024-01&limit=10000&format=geojson";

/// issue 13 point 1: answers built whole reserve their size until sent; one that would go
/// beyond `max_bytes_in_flight` is 503 with `Retry-After`, until the client holding the room
/// goes away.
#[test]
fn whole_answers_beyond_the_bytes_in_flight_cap_are_503_with_retry_after() {
    let db = test_database();
    let _files = large_answer_fixture(&db);
    let page = TestServer::start(&db).get_bytes(WHOLE_PAGE).2.len();
    assert!(page > 6_000_000, "{page} bytes: too small to stay unsent in the socket buffers");
    let limits = Limits {
        max_bytes_in_flight: Some(page * 3 / 2),
        send_timeout: Duration::from_secs(120),
        ..Limits::default()
    };
    let server = TestServer::with_limits(&db, limits);
    let request = format!("GET {WHOLE_PAGE} HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut holding = connect_from("127.0.0.1", server.address(), Some(4096));
    holding.write_all(request.as_bytes()).unwrap();
    holding.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = [0u8; 12];
    holding.read_exact(&mut head).unwrap();
    assert_eq!(status_of(&head), 200);

    let mut refused = TcpStream::connect(server.address()).unwrap();
    refused
        .write_all(request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let response = read_until_closed(&mut refused);
    let text = String::from_utf8_lossy(&response);
    assert_eq!(status_of(&response), 503, "{}", &text[..text.len().min(300)]);
    assert!(text.to_ascii_lowercase().contains("retry-after: 5"), "{text}");
    assert!(text.contains("--max-mib-in-flight"), "{text}");

    drop(holding);
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.get_bytes(WHOLE_PAGE).0 != 200 {
        assert!(Instant::now() < deadline, "the room held by a closed connection never came back");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// issue 13 point 11: while clients fetch large answers in a loop on a two-worker server,
/// every small request is answered (before: 408s, the head timer expiring while a worker
/// rendered).
#[test]
fn large_answers_do_not_starve_small_ones() {
    let db = test_database();
    let _files = large_answer_fixture(&db);
    let server = TestServer::start(&db);
    let address = server.address();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loops: Vec<_> = (0..6)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut fetched = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let mut stream = TcpStream::connect(address).unwrap();
                    let request = format!(
                        "GET {LARGE_PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    );
                    stream.write_all(request.as_bytes()).unwrap();
                    let response = read_until_closed(&mut stream);
                    assert_eq!(status_of(&response), 200);
                    fetched += 1;
                }
                fetched
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .write_all(b"GET /api/forces HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        statuses.push(status_of(&read_until_closed(&mut stream)));
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let fetched: usize = loops.into_iter().map(|l| l.join().unwrap()).sum();
    assert!(fetched >= 6, "the large answers were not being fetched ({fetched})");
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}
