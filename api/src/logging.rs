//! The log on stderr (`tracing`): the server's operational messages (start, snapshot loads
//! and swaps, the store lost and back, stops) and one access line per request
//! ([`crate::access`]). Human by default: each message as a line of its own, then its fields
//! as `key=value`, warnings and errors prefixed as such (systemd's journal adds the time);
//! `--log-format json`: one JSON object a line, with a timestamp, level, target, message and
//! fields. The import command's progress bars and summary are not log lines and stay as
//! they are. Nothing logged holds a password: database URLs are written redacted
//! (`police_store::db::redact`).

use std::fmt;

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

/// Sends `tracing`'s events at INFO and above to stderr in `format`, for the whole process.
/// Later calls change nothing.
pub fn init(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
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
