//! The log on stderr (`tracing`): the server's operational messages (start, snapshot loads
//! and swaps, the store lost and back, stops) and one access line per request
//! ([`crate::access`]). Human by default: each message as a line of its own, then its fields
//! as `key=value`, warnings and errors prefixed as such (systemd's journal adds the time);
//! `--log-format json`: one JSON object a line, with a timestamp, level, target, message and
//! fields. The import command's progress bars and summary are not log lines and stay as
//! they are. Nothing logged holds a password: database URLs are written redacted
//! (`police_store::db::redact`).
//!
//! A serving process ([`init`] with `queued`) never writes to stderr on a worker: each line
//! goes into a bounded queue that a thread of its own writes out, so a slow reader of stderr
//! (a full pipe, a stalled journal) cannot hold up requests. When the queue is full the line
//! is dropped and counted (`police_api_log_lines_dropped_total` in `/metrics`); [`flush`]
//! writes what is queued before the process exits.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// A sentence a line, then `key=value` fields.
    Human,
    /// One JSON object a line.
    Json,
}

/// Lines a serving process may hold waiting for stderr; beyond, lines are dropped.
const QUEUED_LINES: usize = 16_384;
/// Most bytes the writer thread gathers for one write to stderr.
const BATCH_BYTES: usize = 64 * 1024;
/// The writer thread's pause after each write, while lines gather.
const BATCH_PAUSE: Duration = Duration::from_millis(10);
/// How long [`flush`] waits for the queue to be written.
const FLUSH_WAIT: Duration = Duration::from_secs(2);

/// The queue's sending end, once a queued log is set up.
static QUEUE: OnceLock<SyncSender<Vec<u8>>> = OnceLock::new();
/// Lines queued and not yet written.
static PENDING: AtomicUsize = AtomicUsize::new(0);
/// Lines dropped because the queue was full.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Sends `tracing`'s events at INFO and above to stderr in `format`, for the whole process:
/// through the queue when `queued` (servers), else written at once (commands, whose log
/// lines and progress output must keep their order). Later calls change nothing.
pub fn init(format: LogFormat, queued: bool) {
    if queued {
        start_queue();
    }
    let builder = tracing_subscriber::fmt()
        .with_writer(|| LineWriter { line: Vec::with_capacity(256) })
        .with_max_level(Level::INFO)
        .with_ansi(false);
    let _already = match format {
        LogFormat::Human => builder.event_format(Human).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}

/// Log lines dropped so far because the queue to stderr was full.
pub fn dropped_lines() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Writes out the lines queued so far (waiting at most two seconds): call before exiting.
pub fn flush() {
    let deadline = Instant::now() + FLUSH_WAIT;
    while PENDING.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn start_queue() {
    let (sender, receiver) = mpsc::sync_channel::<Vec<u8>>(QUEUED_LINES);
    if QUEUE.set(sender).is_err() {
        return;
    }
    let spawned = std::thread::Builder::new().name("log-writer".into()).spawn(move || {
        let mut batch = Vec::with_capacity(BATCH_BYTES);
        while let Ok(line) = receiver.recv() {
            // What is queued goes out in one write (up to BATCH_BYTES); once the queue is
            // empty, a pause lets the next lines gather, so that a busy server wakes this
            // thread a hundred times a second, not once a line.
            batch.extend_from_slice(&line);
            let mut lines = 1;
            let mut drained = false;
            while batch.len() < BATCH_BYTES {
                let Ok(line) = receiver.try_recv() else {
                    drained = true;
                    break;
                };
                batch.extend_from_slice(&line);
                lines += 1;
            }
            // Nowhere to report a failed write to stderr.
            let _ = io::stderr().lock().write_all(&batch);
            batch.clear();
            PENDING.fetch_sub(lines, Ordering::Release);
            // A full batch: more is waiting, no pause.
            if drained {
                std::thread::sleep(BATCH_PAUSE);
            }
        }
    });
    if let Err(error) = spawned {
        eprintln!("warning: no log writer thread ({error}): log lines are dropped");
    }
}

/// One event's text; on drop, queued (or written at once without a queue).
struct LineWriter {
    line: Vec<u8>,
}

impl Write for LineWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let line = std::mem::take(&mut self.line);
        let Some(queue) = QUEUE.get() else {
            let _ = io::stderr().lock().write_all(&line);
            return;
        };
        PENDING.fetch_add(1, Ordering::AcqRel);
        match queue.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                PENDING.fetch_sub(1, Ordering::AcqRel);
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(line)) => {
                PENDING.fetch_sub(1, Ordering::AcqRel);
                let _ = io::stderr().lock().write_all(&line);
            }
        }
    }
}

/// The human format: `[warning: |error: ]message key=value …`.
struct Human;

impl<S, N> FormatEvent<S, N> for Human
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        match *event.metadata().level() {
            Level::ERROR => writer.write_str("error: ")?,
            Level::WARN => writer.write_str("warning: ")?,
            _ => {}
        }
        context.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
