//! police.uk's lists and clients that stop reading (docs/RELIABILITY.md): a list is written
//! a chunk at a time as its connection asks for the next, so a stalled reader holds no
//! thread, and stalled readers cannot keep other clients' lists waiting.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use police_api::server::{AppState, BackgroundServer, Limits, ServerOptions};
use police_store::snapshot::Snapshot;
use police_tests::test_database;

use crate::connections::{
    connect_from, large_answer_fixture, read_until_closed, status_of, LARGE_PATH,
};
use crate::http::dechunk;

/// The payload of a whole response (chunked or not).
fn payload(response: &[u8]) -> Vec<u8> {
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let body = &response[split + 4..];
    if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_vec()
    }
}

/// Before: each stalled reader of a police.uk list held one of the worker's blocking
/// threads until the send timeout, and a list asked for meanwhile waited for a thread: here
/// (two threads, a 120 s send timeout) for two minutes. Now the stalled readers hold none,
/// and the other client's list arrives whole, the same bytes as before the stalls.
#[test]
fn stalled_readers_of_police_lists_do_not_hold_back_other_lists() {
    let db = test_database();
    let _files = large_answer_fixture(&db);
    let limits = Limits { send_timeout: Duration::from_secs(120), ..Limits::default() };
    let state = Arc::new(AppState::new(Snapshot::load(&db.url).unwrap(), limits));
    let options =
        ServerOptions { workers: Some(1), shutdown_timeout: None, blocking_threads: Some(2) };
    let server = BackgroundServer::start(state, &options).unwrap();
    let request = format!("GET {LARGE_PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let fetch = || {
        let mut stream = std::net::TcpStream::connect(server.address).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        // Far below the send timeout: a list held back by the stalled readers fails here.
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut response = Vec::new();
        match stream.read_to_end(&mut response) {
            Ok(_) => response,
            Err(error) => panic!("no whole answer within 30 s ({error}): {} bytes", response.len()),
        }
    };
    let expected = fetch();
    assert_eq!(status_of(&expected), 200);
    let expected = payload(&expected);
    assert!(expected.len() > 8_000_000, "{} bytes: too small to stall", expected.len());

    let mut stalled = Vec::new();
    for _ in 0..16 {
        let mut stream = connect_from("127.0.0.1", server.address, Some(4096));
        stream.write_all(request.as_bytes()).unwrap();
        stalled.push(stream);
    }
    // Every stalled reader's answer has begun (before: two of them; the rest waited).
    for stream in &mut stalled {
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).unwrap();
        assert_eq!(status_of(&head), 200);
    }
    for _ in 0..3 {
        let answer = fetch();
        assert_eq!(status_of(&answer), 200);
        assert!(payload(&answer) == expected, "the answer changed while readers stalled");
    }
    // The stalled readers were served all along: one reads its answer to the end.
    let mut last = stalled.pop().unwrap();
    let rest = read_until_closed(&mut last);
    assert!(rest.len() > 8_000_000, "{} bytes", rest.len());
    drop(stalled);
}
