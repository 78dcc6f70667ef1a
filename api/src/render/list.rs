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

use crate::answer_buffers;
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

/// A list of at most this many records (police.uk's crime lists know how many they hold:
/// at most police.uk's cap of 10,000 unless the operator lifts it) is written whole in its
/// first chunk, on the blocking thread that ran its query, and sent with its
/// `Content-Length`, counted by [`crate::in_flight`] until sent (a reader that stalls holds
/// it against that cap, not uncounted). Streaming it in 64 KiB chunks instead costs a hop to
/// a blocking thread and back for each chunk, and each hop queues the answer behind the
/// others: under the load benchmark's mix, answers of 1–2 MB took 4.0 ms a MB that way
/// against 2.6 for those written whole, and made the slowest thousandth of all answers.
/// Longer lists are streamed 64 KiB at a time from the start.
const WHOLE_FIRST_RECORDS: usize = 10_000;

/// Bytes a whole list's buffer is sized with for each of its records (a crime is 330–400).
const WHOLE_BYTES_PER_RECORD: usize = 420;

/// The most bytes of a first chunk written whole (records far longer than usual then stream
/// the rest).
const FIRST_CHUNK_BYTES: usize = 8 << 20;

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

    /// How many records are left from `at`, when the walk knows and its records are small
    /// (police.uk's crime lists: ~350 bytes a crime): a short list is written whole in its
    /// first chunk ([`WHOLE_FIRST_RECORDS`]).
    fn records_left(&self, _at: Self::Position) -> Option<usize> {
        None
    }

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

/// What [`ChunkGzip::piece`] made.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    /// The next piece of the gzip stream.
    Gzip(Vec<u8>),
    /// A whole answer under [`SMALLEST_COMPRESSED`] bytes, left as it is.
    Plain(Vec<u8>),
}

impl Drop for ChunkGzip {
    fn drop(&mut self) {
        answer_buffers::give_back(std::mem::take(&mut self.plain));
    }
}

impl ChunkGzip {
    fn new() -> Self {
        ChunkGzip {
            gzip: HintedGzip::default(),
            matcher: SpanMatcher::default(),
            plain: answer_buffers::take(CHUNK_BYTES + 4096),
        }
    }

    /// The next piece of the answer: what `write` writes (a chunk of at most about
    /// [`CHUNK_BYTES`], its repeats marked; it says whether the answer ended), gzipped a
    /// chunk at a time (the matcher's tables are sized for that) until `budget` bytes or the
    /// end; made decodable to its last byte unless it ends the stream. Empty when `write`
    /// wrote nothing. The answer's `first` piece, when it is all of it and small, is
    /// [`Piece::Plain`].
    fn piece(
        &mut self,
        budget: usize,
        first: bool,
        mut write: impl FnMut(&mut Vec<u8>, &mut SpanMatcher) -> bool,
    ) -> Piece {
        let ChunkGzip { gzip, matcher, plain } = self;
        let mut out = answer_buffers::take(answer_buffers::KEPT_FROM);
        let mut written = 0;
        let closed = loop {
            plain.clear();
            matcher.reset();
            let closed = write(plain, matcher);
            if first && written == 0 && closed && (plain.len() as u64) < SMALLEST_COMPRESSED {
                return Piece::Plain(std::mem::take(plain));
            }
            if plain.is_empty() && !closed {
                break false;
            }
            written += plain.len();
            out.reserve(plain.len() / 4 + 1024);
            gzip.chunk(plain, matcher.matches(), &mut out);
            if closed {
                std::mem::take(gzip).finish(&mut out);
                break true;
            }
            if written >= budget {
                break false;
            }
        };
        if !closed && !out.is_empty() {
            gzip.flush(&mut out);
        }
        Piece::Gzip(out)
    }
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
        self.gzip = Some(Box::new(ChunkGzip::new()));
        self
    }

    /// The next chunk: the opening first, the closing last; empty when the chunk's visits
    /// went on records not kept. Gzipped when [`gzipped`](Self::gzipped), unless the whole
    /// answer is one chunk under [`SMALLEST_COMPRESSED`] bytes: that goes out as it is, as
    /// the compression middleware sends small answers, and [`Self::is_gzipped`] says so.
    fn next_chunk(&mut self) -> Vec<u8> {
        let first = !self.opened;
        let whole_records = (self.at.filter(|_| first))
            .and_then(|at| self.walk.records_left(at))
            .filter(|&records| records <= WHOLE_FIRST_RECORDS);
        let (budget, capacity) = match whole_records {
            Some(records) => (FIRST_CHUNK_BYTES, records * WHOLE_BYTES_PER_RECORD),
            None => (CHUNK_BYTES, CHUNK_BYTES),
        };
        let Some(mut gzip) = self.gzip.take() else {
            let mut out = answer_buffers::take(capacity + 4096);
            self.write_chunk(&mut out, None, budget);
            return out;
        };
        let piece = gzip.piece(budget, first, |plain, matcher| {
            self.write_chunk(plain, Some(matcher), CHUNK_BYTES);
            self.closed
        });
        match piece {
            Piece::Gzip(bytes) => {
                self.gzip = Some(gzip);
                bytes
            }
            Piece::Plain(bytes) => bytes,
        }
    }

    /// Whether the chunks written are gzip.
    fn is_gzipped(&self) -> bool {
        self.gzip.is_some()
    }

    /// Writes records into `out` until it holds `chunk_bytes`, the walk ends (then the
    /// closing too), or the chunk's visits are spent.
    fn write_chunk(
        &mut self,
        out: &mut Vec<u8>,
        marks: Option<&mut SpanMatcher>,
        chunk_bytes: usize,
    ) {
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
                chunk_bytes,
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
            written_ahead: written_ahead.map(answer_buffers::into_bytes),
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
                    return Poll::Ready(Some(Ok(answer_buffers::into_bytes(chunk))));
                }
                // The chunk's visits went on records not kept: on to the next.
                answer_buffers::give_back(chunk);
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

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::deflate::SpanMarks;

    /// Gzips chunks of about the given sizes (whole records that repeat) through
    /// [`ChunkGzip::piece`] with a first budget of `first_budget`, as a list writer does.
    fn gzip_in_pieces(sizes: &[usize], first_budget: usize) -> (Vec<u8>, Vec<Piece>) {
        let mut gzip = ChunkGzip::new();
        let mut sizes = sizes.iter();
        let mut plain_answer = Vec::new();
        let mut pieces = Vec::new();
        let mut closed = false;
        while !closed {
            let first = pieces.is_empty();
            let budget = if first { first_budget } else { CHUNK_BYTES };
            let piece = gzip.piece(budget, first, |plain, matcher| {
                let size = *sizes.next().expect("no piece asked for after the end");
                let mut record = 0;
                while plain.len() < size {
                    plain.extend_from_slice(b",{\"category\":\"burglary\",\"id\":");
                    matcher.repeatable(plain);
                    plain.extend_from_slice(record.to_string().as_bytes());
                    matcher.literal(plain);
                    record += 1;
                }
                plain_answer.extend_from_slice(plain);
                closed = sizes.len() == 0;
                closed
            });
            pieces.push(piece);
        }
        (plain_answer, pieces)
    }

    fn gunzip(pieces: &[Piece]) -> Vec<u8> {
        let mut stream = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Gzip(bytes) => stream.extend_from_slice(bytes),
                Piece::Plain(_) => panic!("a plain piece in a gzip answer"),
            }
        }
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&stream[..]).read_to_end(&mut out).expect("valid gzip");
        out
    }

    #[test]
    fn pieces_of_a_gzipped_list_decode_to_the_list_whatever_its_chunks() {
        let cases: [&[usize]; 5] = [
            // A small tail after full chunks in the first piece, and in a later one.
            &[CHUNK_BYTES, CHUNK_BYTES, 10],
            &[CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES, 5],
            // Chunks with nothing kept (visits spent) between others.
            &[CHUNK_BYTES, 0, CHUNK_BYTES, 0, 700],
            // One chunk, large enough to compress.
            &[4000],
            &[CHUNK_BYTES; 9],
        ];
        for sizes in cases {
            let (plain, pieces) = gzip_in_pieces(sizes, FIRST_CHUNK_BYTES);
            assert_eq!(gunzip(&pieces), plain, "{sizes:?}");
            // Each piece but the last is decodable on its own: it ends with a sync flush.
            for piece in &pieces[..pieces.len() - 1] {
                if let Piece::Gzip(bytes) = piece {
                    assert!(bytes.is_empty() || bytes.ends_with(&[0, 0, 0xff, 0xff]), "{sizes:?}");
                }
            }
        }
    }

    #[test]
    fn a_whole_answer_under_the_smallest_compressed_size_is_left_plain() {
        let (plain, pieces) = gzip_in_pieces(&[900], FIRST_CHUNK_BYTES);
        assert_eq!(pieces, vec![Piece::Plain(plain)]);
        // Not when it is the small end of a longer answer.
        let (plain, pieces) = gzip_in_pieces(&[CHUNK_BYTES, 900], FIRST_CHUNK_BYTES);
        assert_eq!(gunzip(&pieces), plain);
    }
}
