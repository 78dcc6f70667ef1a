//! Lists of records in three formats (police.uk's JSON, GeoJSON, police.uk's bulk CSV), as
//! a page built whole (at most [`crate::params::MAX_LIST_LIMIT`] records, with the next
//! page's cursor) or as a stream that resumes the index's walk chunk by chunk, so an answer
//! of any size takes a few hundred KB of the server's memory.
//!
//! What is listed is a [`ListWalk`]: it walks its records from a [`WalkPosition`] and writes
//! them through a [`RecordSink`], which decides when to stop (page full, chunk full, or the
//! chunk's time spent). `/api/v2/crimes` walks crimes ([`CrimeListWalk`]), `/api/v2/outcomes`
//! outcomes ([`OutcomeListWalk`]), `/api/v2/stops` stops ([`StopListWalk`]); police.uk's own
//! lists walk the records their query chose ([`police`]), as a bare JSON array. The same
//! page and stream machinery serves them all.

use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::header::LINK;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use police_index::crimes::{CrimeFilter, CrimeRef, Selection, SnapPoint, WalkPosition};
use police_index::reference::{crime_type_csv_name, force_by_id};
use police_index::Month;
use police_store::import::FileKind;

use crate::compress::SMALLEST_COMPRESSED;
use crate::deflate::{HintedGzip, SpanMatcher};
use crate::json_writer;
use crate::params::ListFormat;
use crate::state::Served;
use police_index::csv;

mod outcomes;
pub mod police;
mod stops;

pub use outcomes::OutcomeListWalk;
pub use stops::StopListWalk;

/// Bytes after which a streamed chunk is sent.
const CHUNK_BYTES: usize = 64 * 1024;

/// Records a streamed chunk may look at (kept or not) before it is sent, or the task yields:
/// bounds the time one chunk takes (a few milliseconds) when a filter keeps few records.
const CHUNK_VISITS: usize = 100_000;

/// What wraps a list's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// `/api/v2/`'s: an object with the records and the next page's URL (a header line for
    /// CSV).
    V2,
    /// police.uk's: a bare JSON array.
    Array,
}

/// Records that walk from a position and write themselves in a [`ListFormat`].
pub trait ListWalk: Send + 'static {
    /// Where a walk stands between pages or chunks.
    type Position: Copy + Send + Unpin + 'static;
    /// The JSON member holding the records, e.g. `crimes`.
    const JSON_MEMBER: &'static str;
    /// The bulk archive file whose columns the CSV format writes (its header line too).
    const CSV_KIND: FileKind;
    /// What wraps the records.
    const ENVELOPE: Envelope = Envelope::V2;
    /// Whether the walk marks its records' repeats in [`RecordSink::marks`], so that its
    /// chunks can be gzipped from the marks (see [`crate::deflate`]).
    const MARKS_REPEATS: bool = false;

    /// Walks the records from `at` (included), each offered to `sink`; returns where to go
    /// on (the record the sink stopped at), or `None` when every record was written.
    fn walk(
        &self,
        served: &Served,
        at: Self::Position,
        sink: &mut RecordSink<'_>,
    ) -> Option<Self::Position>;
}

/// Where a walk's records go, and when it stops.
#[derive(Debug)]
pub struct RecordSink<'o> {
    /// The format to write records in.
    pub format: ListFormat,
    /// The bytes written so far.
    pub out: &'o mut Vec<u8>,
    /// Records written before this sink (for the separators).
    written_before: u64,
    /// Records written into this sink.
    written: usize,
    /// The most records to write.
    limit: usize,
    /// Stop before a record once `out` holds this many bytes.
    chunk_bytes: usize,
    /// Records still to look at.
    visits_left: usize,
    /// Where walks that mark their repeats ([`ListWalk::MARKS_REPEATS`]) mark them, when the
    /// chunk is compressed by [`crate::deflate`].
    pub marks: Option<&'o mut SpanMatcher>,
}

impl RecordSink<'_> {
    /// Counts a record looked at; `false`: stop before it (the chunk's time is spent).
    pub fn look(&mut self) -> bool {
        if self.visits_left == 0 {
            return false;
        }
        self.visits_left -= 1;
        true
    }

    /// Starts a kept record (writing the separator before it); `false`: stop before it (the
    /// page or the chunk is full).
    pub fn begin(&mut self) -> bool {
        if self.written == self.limit || self.out.len() >= self.chunk_bytes {
            return false;
        }
        if self.written_before + self.written as u64 > 0 && self.format != ListFormat::Csv {
            self.out.push(b',');
        }
        self.written += 1;
        true
    }
}

/// What comes before the records.
fn opening<W: ListWalk>(format: ListFormat, out: &mut Vec<u8>) {
    if W::ENVELOPE == Envelope::Array {
        out.push(b'[');
        return;
    }
    match format {
        ListFormat::Json => {
            out.extend_from_slice(b"{\"");
            out.extend_from_slice(W::JSON_MEMBER.as_bytes());
            out.extend_from_slice(b"\":[");
        }
        ListFormat::GeoJson => {
            out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[")
        }
        ListFormat::Csv => csv::record(W::CSV_KIND.header().split(','), out),
    }
}

/// What comes after the records: the next page's URL for JSON and GeoJSON.
fn closing<W: ListWalk>(format: ListFormat, next: Option<&str>, out: &mut Vec<u8>) {
    if W::ENVELOPE == Envelope::Array {
        out.push(b']');
        return;
    }
    if format == ListFormat::Csv {
        return;
    }
    out.extend_from_slice(b"],\"next\":");
    match next {
        Some(url) => json_writer::string(url, out),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
}

/// A page of at most `limit` records from `at`, built whole; `next_url` makes the next
/// page's URL from where the walk stopped (in the body, and as `Link: <…>; rel="next"`).
pub fn page<W: ListWalk>(
    served: &Served,
    walk: &W,
    format: ListFormat,
    at: W::Position,
    limit: usize,
    next_url: impl FnOnce(W::Position) -> String,
) -> HttpResponse {
    let mut out = Vec::with_capacity(4096 + limit.min(1024) * 420);
    opening::<W>(format, &mut out);
    let mut sink = RecordSink {
        format,
        out: &mut out,
        written_before: 0,
        written: 0,
        limit,
        chunk_bytes: usize::MAX,
        visits_left: usize::MAX,
        marks: None,
    };
    let next = walk.walk(served, at, &mut sink).map(next_url);
    closing::<W>(format, next.as_deref(), &mut out);
    let mut response = HttpResponse::Ok();
    response.content_type(format.content_type());
    if let Some(url) = &next {
        response.insert_header((LINK, format!("<{url}>; rel=\"next\"")));
    }
    response.body(out)
}

/// Every record from `at`, streamed (chunked) as the walk goes.
pub fn stream<W: ListWalk + Unpin>(
    served: Arc<Served>,
    walk: W,
    format: ListFormat,
    at: W::Position,
) -> HttpResponse {
    let body = ListBody::new(ListWriter::new(served, walk, format, at), None);
    HttpResponse::Ok().content_type(format.content_type()).body(body)
}

/// A streamed list's walk between chunks: resumed at `at` for every chunk, on the snapshot
/// it started on.
struct ListWriter<W: ListWalk> {
    served: Arc<Served>,
    walk: W,
    format: ListFormat,
    /// Where the walk goes on; `None` once every record was written.
    at: Option<W::Position>,
    opened: bool,
    /// The closing is written: nothing follows.
    closed: bool,
    /// Records written so far.
    written: u64,
    /// Set when the chunks are gzipped as they are written.
    gzip: Option<Box<ChunkGzip>>,
}

/// A list gzipped chunk by chunk from its walk's marks: the stream's state, the marks, and
/// the plain chunk's buffer, kept from chunk to chunk.
struct ChunkGzip {
    gzip: HintedGzip,
    matcher: SpanMatcher,
    plain: Vec<u8>,
}

impl<W: ListWalk> ListWriter<W> {
    fn new(served: Arc<Served>, walk: W, format: ListFormat, at: W::Position) -> Self {
        ListWriter {
            served,
            walk,
            format,
            at: Some(at),
            opened: false,
            closed: false,
            written: 0,
            gzip: None,
        }
    }

    /// Chunks from now on are gzip (whole: the first chunk has its header, the last ends the
    /// stream), made from the walk's marks.
    fn gzipped(mut self) -> Self {
        debug_assert!(W::MARKS_REPEATS && !self.opened);
        self.gzip = Some(Box::new(ChunkGzip {
            gzip: HintedGzip::default(),
            matcher: SpanMatcher::default(),
            plain: Vec::with_capacity(CHUNK_BYTES + 4096),
        }));
        self
    }

    /// The next chunk: the opening first, the closing last; empty when the chunk's visits
    /// went on records not kept. Gzipped when [`gzipped`](Self::gzipped), unless the whole
    /// answer is one chunk under [`SMALLEST_COMPRESSED`] bytes: that goes out as it is, as
    /// the compression middleware sends small answers, and [`Self::is_gzipped`] says so.
    fn next_chunk(&mut self) -> Vec<u8> {
        let Some(mut gzip) = self.gzip.take() else {
            let mut out = Vec::with_capacity(CHUNK_BYTES + 4096);
            self.write_chunk(&mut out, None);
            return out;
        };
        let ChunkGzip { gzip: stream, matcher, plain } = &mut *gzip;
        let first = !self.opened;
        plain.clear();
        matcher.reset();
        self.write_chunk(plain, Some(matcher));
        if first && self.closed && (plain.len() as u64) < SMALLEST_COMPRESSED {
            return std::mem::take(plain);
        }
        let mut out = Vec::new();
        if !plain.is_empty() || self.closed {
            out.reserve(plain.len() / 4 + 1024);
            stream.chunk(plain, matcher.matches(), &mut out);
            if self.closed {
                std::mem::take(stream).finish(&mut out);
            } else {
                stream.flush(&mut out);
            }
        }
        self.gzip = Some(gzip);
        out
    }

    /// Whether the chunks written are gzip.
    fn is_gzipped(&self) -> bool {
        self.gzip.is_some()
    }

    fn write_chunk(&mut self, out: &mut Vec<u8>, marks: Option<&mut SpanMatcher>) {
        if !self.opened {
            opening::<W>(self.format, out);
            self.opened = true;
        }
        if let Some(at) = self.at {
            let mut sink = RecordSink {
                format: self.format,
                out,
                written_before: self.written,
                written: 0,
                limit: usize::MAX,
                chunk_bytes: CHUNK_BYTES,
                visits_left: CHUNK_VISITS,
                marks,
            };
            self.at = self.walk.walk(&self.served, at, &mut sink);
            self.written += sink.written as u64;
        }
        if self.at.is_none() {
            closing::<W>(self.format, None, out);
            self.closed = true;
        }
    }
}

/// A streamed list's body. Each chunk is written when the connection asks for it, on a
/// blocking thread (a chunk is bounded, [`CHUNK_BYTES`] and [`CHUNK_VISITS`]: a few
/// milliseconds), so the threads that serve connections only send bytes. Between chunks
/// the walk waits here: a client that stops reading holds its walk and a chunk, no thread.
struct ListBody<W: ListWalk> {
    /// The walk, while no chunk is being written.
    writer: Option<ListWriter<W>>,
    /// The chunk being written, and the walk after it.
    writing: Option<tokio::task::JoinHandle<(ListWriter<W>, Vec<u8>)>>,
    /// A chunk written before the body was handed over, sent first.
    written_ahead: Option<Bytes>,
}

impl<W: ListWalk> ListBody<W> {
    /// `writer`'s chunks, after `written_ahead` when given.
    fn new(writer: ListWriter<W>, written_ahead: Option<Vec<u8>>) -> Self {
        ListBody {
            writer: Some(writer),
            writing: None,
            written_ahead: written_ahead.map(Bytes::from),
        }
    }
}

impl<W: ListWalk + Unpin> MessageBody for ListBody<W> {
    /// The thread writing a chunk panicked: the answer stops there.
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        if let Some(chunk) = this.written_ahead.take() {
            return Poll::Ready(Some(Ok(chunk)));
        }
        loop {
            if let Some(writing) = &mut this.writing {
                let done = std::task::ready!(Pin::new(writing).poll(cx));
                this.writing = None;
                let (writer, chunk) = done.map_err(std::io::Error::other)?;
                this.writer = Some(writer);
                if !chunk.is_empty() {
                    return Poll::Ready(Some(Ok(Bytes::from(chunk))));
                }
                // The chunk's visits went on records not kept: on to the next.
            }
            let Some(mut writer) = this.writer.take() else { return Poll::Ready(None) };
            if writer.closed {
                return Poll::Ready(None);
            }
            this.writing = Some(actix_web::rt::task::spawn_blocking(move || {
                let chunk = writer.next_chunk();
                (writer, chunk)
            }));
        }
    }
}

/// The crimes of `/api/v2/crimes`: a selection's crimes up to `to`, kept by a filter.
#[derive(Debug)]
pub struct CrimeListWalk {
    /// The area's crimes.
    pub selection: Selection,
    /// Which of them are listed.
    pub filter: CrimeFilter,
    /// The last month of the period.
    pub to: Month,
}

impl ListWalk for CrimeListWalk {
    type Position = WalkPosition;
    const JSON_MEMBER: &'static str = "crimes";
    const CSV_KIND: FileKind = FileKind::Street;

    fn walk(
        &self,
        served: &Served,
        at: WalkPosition,
        sink: &mut RecordSink<'_>,
    ) -> Option<WalkPosition> {
        served.index.walk_selected(at, self.to, &self.selection, |crime| {
            if !sink.look() {
                return ControlFlow::Break(());
            }
            if !self.filter.matches(&crime) {
                return ControlFlow::Continue(());
            }
            if !sink.begin() {
                return ControlFlow::Break(());
            }
            match sink.format {
                ListFormat::Json => super::write_crime(&crime, &served.locations, sink.out),
                ListFormat::GeoJson => crime_feature(&crime, served, sink.out),
                ListFormat::Csv => crime_csv(&crime, sink.out),
            }
            ControlFlow::Continue(())
        })
    }
}

/// A GeoJSON `Feature`: a `Point` at `[longitude, latitude]` (numbers; `null` geometry
/// without a location), `properties` written by `properties`.
fn feature(position: Option<(f64, f64)>, out: &mut Vec<u8>, properties: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(b"{\"type\":\"Feature\",\"geometry\":");
    match position {
        Some((longitude, latitude)) => {
            out.extend_from_slice(b"{\"type\":\"Point\",\"coordinates\":[");
            json_writer::bare_coordinate(longitude, out);
            out.push(b',');
            json_writer::bare_coordinate(latitude, out);
            out.extend_from_slice(b"]}");
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"properties\":");
    properties(out);
    out.push(b'}');
}

/// A crime as a GeoJSON `Feature` at its snap point, police.uk's crime object as its
/// properties.
fn crime_feature(crime: &CrimeRef<'_>, served: &Served, out: &mut Vec<u8>) {
    let position = crime.point.map(|point| (point.longitude, point.latitude));
    feature(position, out, |out| super::write_crime(crime, &served.locations, out));
}

/// A month as a CSV field, `YYYY-MM`.
fn csv_month(month: Month, out: &mut Vec<u8>) {
    let start = out.len();
    json_writer::month(month, out);
    // `"YYYY-MM"` without its quotes.
    out.remove(start);
    out.pop();
}

/// The columns police.uk's street and outcomes CSVs share: `Crime ID,Month,Reported
/// by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name`, for a crime (its Crime
/// ID, force and LSOA), a month and a snap point (the location; without one, `Location` is
/// `no_location`: the street files write `No Location`, the outcomes files `No location`).
fn crime_csv_columns(
    crime: &CrimeRef<'_>,
    month: Month,
    point: Option<&SnapPoint>,
    no_location: &str,
    out: &mut Vec<u8>,
) {
    let mut id = [0u8; 64];
    csv::field(crime.persistent_id(&mut id), out);
    csv::separator(out);
    csv_month(month, out);
    csv::separator(out);
    let force = force_by_id(crime.force_id()).map_or(crime.force_id(), |force| force.name);
    csv::field(force, out);
    csv::separator(out);
    csv::field(force, out);
    csv::separator(out);
    if let Some(point) = point {
        json_writer::bare_coordinate(point.longitude, out);
        csv::separator(out);
        json_writer::bare_coordinate(point.latitude, out);
        csv::separator(out);
        csv::field(&*point.name, out);
    } else {
        out.extend_from_slice(b",,");
        csv::field(no_location, out);
    }
    csv::separator(out);
    csv::field(crime.lsoa_code(), out);
    csv::separator(out);
    csv::field(crime.lsoa_name(), out);
}

/// A crime as a row of police.uk's street CSV.
fn crime_csv(crime: &CrimeRef<'_>, out: &mut Vec<u8>) {
    crime_csv_columns(crime, crime.month, crime.point, "No Location", out);
    csv::separator(out);
    csv::field(crime_type_csv_name(crime.record.category, crime.month), out);
    csv::separator(out);
    csv::field(crime.outcome_status().map_or("", |(name, _)| name), out);
    csv::separator(out);
    csv::field(crime.context(), out);
    csv::end_record(out);
}
