//! What happens on a connection below HTTP: every accepted socket is wrapped in a
//! [`GuardedStream`] before actix-http sees it.
//!
//! - **Connections per client address** are counted from accept to close; one beyond
//!   [`ConnectionLimits::max_connections_per_client`] is answered `429` and closed at once,
//!   so one address cannot take every file descriptor.
//! - **A stalled reader** (a write making no progress for [`ConnectionLimits::send_timeout`])
//!   makes the write fail, and actix-http drops the connection and the answer it held.
//! - **TCP_NODELAY** is set on every socket: answers go out in whole buffers, so Nagle's
//!   algorithm would only hold back an answer's small last segment until the client's
//!   delayed ACK (~40 ms).
//! - **Request lines longer than [`ConnectionLimits::max_request_line`]** never reach
//!   actix-http, whose parser answers an empty `400` above 65,534 bytes of request target
//!   (the `http` crate's `Uri` limit) and an empty `431` above 128 KiB of head: the line is
//!   replaced by `METHOD /.request-line-too-long/<length> HTTP/1.1`, which
//!   [`crate::server`]'s middleware answers `414` with a message. To find request lines the
//!   stream follows HTTP/1.1 framing (head, then a `Content-Length` or chunked body); after
//!   a head or chunk size it cannot read it stops looking (actix-http refuses those and
//!   closes the connection), and the middleware's own check is what remains.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

/// The path a too-long request line is replaced with, followed by its length in bytes.
pub const TOO_LONG_PATH: &str = "/.request-line-too-long/";

/// Limits held on every connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Longest request line (`METHOD target HTTP/1.1`, without its line end), in bytes.
    pub max_request_line: usize,
    /// A write making no progress for this long drops the connection.
    pub send_timeout: Duration,
    /// Open connections one client address may hold; more are answered 429 and closed.
    pub max_connections_per_client: usize,
}

/// The number of open connections of each client address.
#[derive(Debug, Default)]
pub struct ClientCounts {
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl ClientCounts {
    /// Counts a new connection from `address`, or `None` if it already holds `max`.
    pub fn admit(self: &Arc<Self>, address: IpAddr, max: usize) -> Option<ClientSlot> {
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = open.entry(address).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(ClientSlot { counts: Arc::clone(self), address })
    }
}

/// One open connection of a client address, counted until dropped.
#[derive(Debug)]
pub struct ClientSlot {
    counts: Arc<ClientCounts>,
    address: IpAddr,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// Accepts `stream`: wrapped in a [`GuardedStream`], or `None` (answered 429 and closed)
/// when its client address holds as many connections as it may.
pub async fn accept(
    mut stream: TcpStream,
    limits: ConnectionLimits,
    counts: &Arc<ClientCounts>,
) -> Option<(GuardedStream, Option<SocketAddr>)> {
    // Without TCP_NODELAY the small last write of an answer (a chunked body's end, a short
    // final chunk) waits for the client's delayed ACK of the data before it: ~40 ms on Linux.
    let _ = stream.set_nodelay(true);
    let peer = stream.peer_addr().ok();
    let slot = match peer {
        Some(peer) => match counts.admit(peer.ip(), limits.max_connections_per_client) {
            Some(slot) => Some(slot),
            None => {
                refuse(&mut stream, limits.max_connections_per_client).await;
                return None;
            }
        },
        None => None,
    };
    Some((GuardedStream::new(stream, limits, slot), peer))
}

/// Answers 429 before reading anything, then lets the client's request arrive (briefly)
/// before closing, so that the close does not reset the connection under the answer.
async fn refuse(stream: &mut TcpStream, max: usize) {
    let message = format!(
        "this address already holds {max} open connections, as many as this server accepts \
         from one address (--max-connections-per-client); close some and try again"
    );
    let answer = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\
         retry-after: 1\r\nconnection: close\r\n\r\n{message}",
        message.len()
    );
    let refused = async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        let mut scratch = [0u8; 4096];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_read(cx, &mut buf)).await?;
            if buf.filled().is_empty() {
                return Ok::<_, io::Error>(());
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), refused).await;
}

/// Where the reader is in the HTTP/1.1 byte stream.
#[derive(Debug)]
enum Framing {
    /// Reading a request line: the bytes so far are held back until its end.
    RequestLine { held: Vec<u8> },
    /// The request line is too long: its bytes are dropped and counted until its end.
    TooLong { method: Vec<u8>, length: usize, last_cr: bool },
    /// Reading header lines.
    Headers { line: Vec<u8>, content_length: Option<u64>, chunked: bool, unreadable: bool },
    /// Passing this many body bytes through.
    Body { remaining: u64 },
    /// Reading a chunked body's chunk-size line (RFC 9112 §7.1).
    ChunkSize { line: Vec<u8> },
    /// Passing a chunk's data and the line end after it: this many bytes.
    ChunkData { remaining: u64 },
    /// Reading the trailer lines after the last chunk, up to an empty line.
    Trailers { line: Vec<u8> },
    /// No longer following the framing (after an unreadable head or chunk size).
    Untracked,
}

/// Longest chunk-size line (with extensions) followed; a longer one ends the tracking.
const CHUNK_SIZE_LINE_KEPT: usize = 1024;

/// The size a chunk-size line announces (`1a;name=value\r\n` → 26), or `None` if it is
/// not one.
fn chunk_size_of(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let size = line.split(|b| *b == b';').next()?;
    let size = std::str::from_utf8(size).ok()?.trim_matches([' ', '\t']);
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(size, 16).ok()
}

/// Header bytes kept of each line to read `Content-Length` and `Transfer-Encoding`.
const HEADER_LINE_KEPT: usize = 256;

/// A request line longer than the limit, as the length of its content (no line end) and its
/// method if that is a plain token.
fn replacement_line(method: &[u8], length: usize) -> Vec<u8> {
    let method: &[u8] = if !method.is_empty()
        && method.len() <= 16
        && method.iter().all(|b| b.is_ascii_alphabetic() || *b == b'-')
    {
        method
    } else {
        b"GET"
    };
    let mut line = method.to_vec();
    line.push(b' ');
    line.extend_from_slice(TOO_LONG_PATH.as_bytes());
    line.extend_from_slice(length.to_string().as_bytes());
    line.extend_from_slice(b" HTTP/1.1\r\n");
    line
}

fn method_of(line: &[u8]) -> Vec<u8> {
    line.iter().take_while(|b| **b != b' ').take(17).copied().collect()
}

/// The length of a line's content: without its `\n` and a `\r` before it.
fn content_length_of(line: &[u8]) -> usize {
    let without_lf = line.strip_suffix(b"\n").unwrap_or(line);
    without_lf.strip_suffix(b"\r").unwrap_or(without_lf).len()
}

/// Passes `input` through to `out` up to the end of its first line, keeping that line's
/// first [`HEADER_LINE_KEPT`] bytes in `line`: the rest of the input, and whether the line
/// ended.
fn pass_line<'i>(input: &'i [u8], line: &mut Vec<u8>, out: &mut Vec<u8>) -> (&'i [u8], bool) {
    let end = input.iter().position(|b| *b == b'\n');
    let take = end.map_or(input.len(), |end| end + 1);
    out.extend_from_slice(&input[..take]);
    let room = HEADER_LINE_KEPT.saturating_sub(line.len());
    line.extend_from_slice(&input[..take.min(room)]);
    (&input[take..], end.is_some())
}

impl Framing {
    /// Feeds `input` through, appending what actix-http should read to `out`.
    fn feed(&mut self, mut input: &[u8], max_line: usize, out: &mut Vec<u8>) {
        while !input.is_empty() {
            match self {
                Framing::Untracked => {
                    out.extend_from_slice(input);
                    return;
                }
                Framing::Body { remaining } => {
                    let take = input.len().min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                    out.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    *remaining -= take as u64;
                    if *remaining == 0 {
                        *self = Framing::RequestLine { held: Vec::new() };
                    }
                }
                Framing::ChunkData { remaining } => {
                    let take = input.len().min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                    out.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    *remaining -= take as u64;
                    if *remaining == 0 {
                        *self = Framing::ChunkSize { line: Vec::new() };
                    }
                }
                Framing::ChunkSize { line } => {
                    let end = input.iter().position(|b| *b == b'\n');
                    let take = end.map_or(input.len(), |end| end + 1);
                    out.extend_from_slice(&input[..take]);
                    line.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if end.is_none() {
                        if line.len() > CHUNK_SIZE_LINE_KEPT {
                            *self = Framing::Untracked;
                        }
                        continue;
                    }
                    *self = match chunk_size_of(line) {
                        Some(0) => Framing::Trailers { line: Vec::new() },
                        // The data, then its CRLF (actix-http refuses any other line end).
                        Some(size) => match size.checked_add(2) {
                            Some(remaining) => Framing::ChunkData { remaining },
                            None => Framing::Untracked,
                        },
                        None => Framing::Untracked,
                    };
                }
                Framing::Trailers { line } => {
                    let ended;
                    (input, ended) = pass_line(input, line, out);
                    if ended {
                        *self = if content_length_of(line) == 0 {
                            Framing::RequestLine { held: Vec::new() }
                        } else {
                            Framing::Trailers { line: Vec::new() }
                        };
                    }
                }
                Framing::RequestLine { held } => {
                    let byte = input[0];
                    input = &input[1..];
                    if held.is_empty() && (byte == b'\r' || byte == b'\n') {
                        // Empty lines before a request (RFC 9112 §2.2 allows them).
                        out.push(byte);
                        continue;
                    }
                    held.push(byte);
                    if byte == b'\n' {
                        let length = content_length_of(held);
                        if length > max_line {
                            out.extend_from_slice(&replacement_line(&method_of(held), length));
                        } else {
                            out.append(held);
                        }
                        *self = Framing::headers();
                    } else if held.len() > max_line + 1 {
                        *self = Framing::TooLong {
                            method: method_of(held),
                            length: held.len(),
                            last_cr: byte == b'\r',
                        };
                    }
                }
                Framing::TooLong { method, length, last_cr } => {
                    match input.iter().position(|b| *b == b'\n') {
                        Some(end) => {
                            let total = *length + end;
                            let cr = if end > 0 { input[end - 1] == b'\r' } else { *last_cr };
                            let content = total - usize::from(cr);
                            out.extend_from_slice(&replacement_line(method, content));
                            input = &input[end + 1..];
                            *self = Framing::headers();
                        }
                        None => {
                            *length += input.len();
                            *last_cr = input.last() == Some(&b'\r');
                            return;
                        }
                    }
                }
                Framing::Headers { line, content_length, chunked, unreadable } => {
                    let ended;
                    (input, ended) = pass_line(input, line, out);
                    if !ended {
                        continue;
                    }
                    let text = String::from_utf8_lossy(line).trim().to_ascii_lowercase();
                    line.clear();
                    if text.is_empty() {
                        *self = if *unreadable {
                            Framing::Untracked
                        } else if *chunked {
                            Framing::ChunkSize { line: Vec::new() }
                        } else {
                            match content_length {
                                Some(n) if *n > 0 => Framing::Body { remaining: *n },
                                _ => Framing::RequestLine { held: Vec::new() },
                            }
                        };
                    } else if let Some(value) = text.strip_prefix("content-length:") {
                        match value.trim().parse::<u64>() {
                            Ok(n) => *content_length = Some(n),
                            Err(_) => *unreadable = true,
                        }
                    } else if let Some(codings) = text.strip_prefix("transfer-encoding:") {
                        // Only a body whose last coding is `chunked` is framed by chunks;
                        // any other is refused by actix-http, and not followed here.
                        if codings.trim().rsplit(',').next().map(str::trim) == Some("chunked") {
                            *chunked = true;
                        } else {
                            *unreadable = true;
                        }
                    }
                }
            }
        }
    }

    fn headers() -> Framing {
        Framing::Headers {
            line: Vec::new(),
            content_length: None,
            chunked: false,
            unreadable: false,
        }
    }
}

/// A client connection as actix-http reads and writes it (see the module's documentation).
pub struct GuardedStream {
    stream: TcpStream,
    limits: ConnectionLimits,
    _slot: Option<ClientSlot>,
    framing: Framing,
    /// Bytes read and framed, not yet handed to actix-http.
    ready: Vec<u8>,
    /// Where in `ready` the next read starts.
    ready_from: usize,
    /// Since when writes have made no progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl GuardedStream {
    fn new(stream: TcpStream, limits: ConnectionLimits, slot: Option<ClientSlot>) -> Self {
        GuardedStream {
            stream,
            limits,
            _slot: slot,
            framing: Framing::RequestLine { held: Vec::new() },
            ready: Vec::new(),
            ready_from: 0,
            stalled: None,
        }
    }

    /// A write that made no progress: `Pending` until the send timeout, then an error.
    fn stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let timeout = self.limits.send_timeout;
        let timer = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read nothing for the send timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.ready_from < this.ready.len() {
                let available = &this.ready[this.ready_from..];
                let take = available.len().min(buf.remaining());
                buf.put_slice(&available[..take]);
                this.ready_from += take;
                if this.ready_from == this.ready.len() {
                    this.ready.clear();
                    this.ready_from = 0;
                }
                return Poll::Ready(Ok(()));
            }
            let mut scratch = [0u8; 8192];
            let mut read = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.stream).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) if read.filled().is_empty() => {
                    // End of stream: whatever was held back goes through as it is.
                    if let Framing::RequestLine { held } = &mut this.framing {
                        this.ready.append(held);
                    }
                    if this.ready.is_empty() {
                        return Poll::Ready(Ok(()));
                    }
                }
                Poll::Ready(Ok(())) => {
                    let max_line = this.limits.max_request_line;
                    this.framing.feed(read.filled(), max_line, &mut this.ready);
                }
                other => return other,
            }
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Pending => this.stalled(cx).map(|result| result.map(|()| 0)),
            ready => {
                this.stalled = None;
                ready
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_flush(cx) {
            Poll::Pending => this.stalled(cx),
            ready => {
                this.stalled = None;
                ready
            }
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(chunks: &[&[u8]], max_line: usize) -> String {
        let mut framing = Framing::RequestLine { held: Vec::new() };
        let mut out = Vec::new();
        for chunk in chunks {
            framing.feed(chunk, max_line, &mut out);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn lines_within_the_limit_and_bodies_pass_unchanged() {
        let input = "POST /a HTTP/1.1\r\nContent-Length: 40\r\n\r\n\
                     xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
                     GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(framed(&[input.as_bytes()], 16), input);
        let split: Vec<&[u8]> = input.as_bytes().chunks(3).collect();
        assert_eq!(framed(&split, 16), input);
    }

    #[test]
    fn a_long_line_is_replaced_even_after_a_body_and_across_reads() {
        let long = format!("GET /{} HTTP/1.1\r\n", "a".repeat(100));
        let input =
            format!("POST /a HTTP/1.1\r\ncontent-length: 3\r\n\r\nxyz{long}Host: x\r\n\r\n");
        let expected = format!(
            "POST /a HTTP/1.1\r\ncontent-length: 3\r\n\r\nxyzGET {TOO_LONG_PATH}{} HTTP/1.1\r\n\
             Host: x\r\n\r\n",
            long.len() - 2
        );
        assert_eq!(framed(&[input.as_bytes()], 50), expected);
        let split: Vec<&[u8]> = input.as_bytes().chunks(7).collect();
        assert_eq!(framed(&split, 50), expected);
    }

    #[test]
    fn the_limit_counts_the_line_without_its_end() {
        let line = |n: usize| format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(n - 14));
        assert_eq!(framed(&[line(50).as_bytes()], 50), line(50));
        assert!(framed(&[line(51).as_bytes()], 50).contains(&format!("{TOO_LONG_PATH}51 ")));
    }

    #[test]
    fn request_lines_are_followed_after_a_chunked_body() {
        let long = format!("GET /{} HTTP/1.1\r\n", "a".repeat(100));
        let chunked = "POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n\
                       5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n\
                       0\r\nX-Trailer: GET /not-a-request-line HTTP/1.1\r\n\r\n";
        let input = format!("{chunked}{long}Host: x\r\n\r\n");
        let expected =
            format!("{chunked}GET {TOO_LONG_PATH}{} HTTP/1.1\r\nHost: x\r\n\r\n", long.len() - 2);
        assert_eq!(framed(&[input.as_bytes()], 50), expected);
        for size in [1, 2, 3, 7] {
            let split: Vec<&[u8]> = input.as_bytes().chunks(size).collect();
            assert_eq!(framed(&split, 50), expected, "read {size} bytes at a time");
        }
        // A chunk's data that looks like a long request line is data.
        let data = "b".repeat(300);
        let body_only = format!(
            "POST /a HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{data}\r\n0\r\n\r\n",
            data.len()
        );
        assert_eq!(framed(&[body_only.as_bytes()], 50), body_only);
    }

    #[test]
    fn an_unreadable_chunk_size_or_coding_stops_the_tracking() {
        for head in [
            "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        ] {
            let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(100));
            let input = format!("{head}{long}");
            assert_eq!(framed(&[input.as_bytes()], 50), input);
        }
        assert_eq!(chunk_size_of(b"ffffffffffffffff\r\n"), Some(u64::MAX));
        assert_eq!(chunk_size_of(b"10000000000000000\r\n"), None);
        assert_eq!(chunk_size_of(b" 1f \t;ext\r\n"), Some(31));
        assert_eq!(chunk_size_of(b"\r\n"), None);
    }

    #[actix_web::test]
    async fn accepted_sockets_send_small_writes_at_once() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        let limits = ConnectionLimits {
            max_request_line: 8192,
            send_timeout: Duration::from_secs(30),
            max_connections_per_client: 4,
        };
        let (guarded, _) = accept(server_side, limits, &Arc::default()).await.unwrap();
        assert!(guarded.stream.nodelay().unwrap(), "TCP_NODELAY is not set");
        drop(client);
    }

    #[test]
    fn a_body_s_long_line_is_not_a_request_line() {
        let body = "b".repeat(500);
        let input = format!("POST /a HTTP/1.1\r\nContent-Length: 500\r\n\r\n{body}");
        assert_eq!(framed(&[input.as_bytes()], 50), input);
    }
}
