//! Malformed requests over raw TCP: every 4xx body is a sentence, never Rust Debug text (a
//! gzip body that is not gzip used to answer `payload reached EOF before completing:
//! Some(Custom { kind: InvalidInput, error: "invalid gzip header" })`, a broken chunked body
//! `payload reached EOF before completing: None`).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use police_tests::http::TestServer;
use police_tests::test_database;

/// Text that Rust's `Debug` formatting of an error leaves in a message.
const DEBUG_TOKENS: &[&str] = &["Some(", "None", "Custom {", "kind:", "Error {", "Utf8Error"];

/// Sends `head` (ending in a blank line) and `body` bytes; with `half_close` the sending
/// side is shut after them, as a client whose body was cut short. Returns the status and the
/// response body (identity encoding, `Connection: close`).
fn exchange(server: &TestServer, head: &str, body: &[u8], half_close: bool) -> (u16, String) {
    let mut stream = TcpStream::connect(server.address()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) and close before a large body is all sent.
    let _ = stream.write_all(body);
    if half_close {
        stream.shutdown(Shutdown::Write).unwrap();
    }
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return (0, format!("no answer: {text:?}"));
    };
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

fn post_head(path: &str, headers: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}\r\n")
}

#[test]
fn malformed_requests_get_readable_4xx_bodies() {
    let db = test_database();
    let server = TestServer::start(&db);
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let chunked = "Transfer-Encoding: chunked\r\n";
    // (what, request head, body, half-close, the body must contain)
    // Over actix's default 256 KiB, small enough for the socket's buffers: the client's write
    // completes though the server reads none of it.
    let big = vec![b'a'; 300 << 10];
    let cases: Vec<(&str, String, &[u8], bool, &str)> = vec![
        (
            "a chunk size that is not hex (police.uk route)",
            post_head("/api/crimes-street/all-crime", &format!("{form}{chunked}")),
            b"zz\r\nlat=52\r\n0\r\n\r\n",
            false,
            "the request body",
        ),
        (
            "a chunk size that is not hex (v2 route)",
            post_head("/api/v2/crimes/counts", &format!("Content-Type: application/geo+json\r\n{chunked}")),
            b"zz\r\n{}\r\n0\r\n\r\n",
            false,
            "the request body is incomplete",
        ),
        (
            "a chunk without its CRLF",
            post_head("/api/stops-street", &format!("{form}{chunked}")),
            b"3\r\nlat=52\r\n0\r\n\r\n",
            false,
            "the request body is incomplete",
        ),
        (
            "a body shorter than its Content-Length",
            post_head("/api/outcomes-at-location", &format!("{form}Content-Length: 100\r\n")),
            b"lat=52.6",
            true,
            "the request body",
        ),
        (
            "a gzip body that is not gzip",
            post_head(
                "/api/crimes-street/all-crime",
                &format!("{form}Content-Encoding: gzip\r\nContent-Length: 15\r\n"),
            ),
            b"not gzip at all",
            false,
            "the request body could not be read: invalid gzip header",
        ),
        (
            "a body over the size limit",
            post_head("/api/v2/crimes", &format!("Content-Type: application/geo+json\r\nContent-Length: {}\r\n", big.len())),
            &big,
            false,
            "the request body is larger than this server reads",
        ),
        (
            "a form body that is not UTF-8",
            post_head("/api/crimes-street/all-crime", &format!("{form}Content-Length: 9\r\n")),
            b"poly=\xff\xfe\xfd\xfc",
            false,
            "",
        ),
        (
            "a percent-encoded query that is not UTF-8",
            "GET /api/crimes-street/all-crime?lat=%FF%FE&lng=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
            b"",
            false,
            "",
        ),
        (
            "a path segment that is not UTF-8",
            "GET /api/forces/%FF%FE HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
            b"",
            false,
            "",
        ),
        (
            "a multipart body without a boundary",
            post_head("/api/stops-street", "Content-Type: multipart/form-data\r\nContent-Length: 4\r\n"),
            b"abcd",
            false,
            "unreadable multipart body",
        ),
        (
            "a GeoJSON body that is not JSON",
            post_head("/api/v2/crimes/hotspots", "Content-Type: application/geo+json\r\nContent-Length: 4\r\n"),
            b"{\"ty",
            false,
            "GeoJSON body",
        ),
    ];
    let mut wrong = Vec::new();
    for (what, head, body, half_close, expected) in cases {
        let (status, text) = exchange(&server, &head, body, half_close);
        let readable = (400..500).contains(&status)
            && !DEBUG_TOKENS.iter().any(|token| text.contains(token))
            && !text.trim().is_empty()
            && text.contains(expected);
        if !readable {
            wrong.push(format!("{what}: {status} {text:?}"));
        }
    }
    assert!(wrong.is_empty(), "answers that are not a 4xx sentence:\n{}", wrong.join("\n"));
}
