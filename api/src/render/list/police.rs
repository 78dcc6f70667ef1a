//! police.uk's own lists (`crimes-street`, `crimes-no-location`, `outcomes-at-location`,
//! `stops-street`, `stops-no-location`, `stops-force`): one query chooses and orders the
//! records (and refuses an area over the cap before the answer starts); they are held as
//! keys and written as a bare JSON array, a chunk at a time when the connection asks for the
//! next. A client that stops reading holds its keys and a chunk, never a thread. Crime lists
//! within police.uk's cap are written whole instead, their size counted in flight (see
//! `WHOLE_FIRST_RECORDS` in the parent module).

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse};
use police_index::crimes::{CrimeKey, OutcomeKey};
use police_index::stops::StopKey;
use police_store::import::FileKind;

use super::{Envelope, ListBody, ListWalk, ListWriter, RecordSink};
use crate::answer_buffers;
use crate::compress::{self, Coding};
use crate::deflate::NoMarks;
use crate::error::ApiError;
use crate::params::ListFormat;
use crate::render::{json_body, stop, write_crime_marked, write_json, write_street_outcome};
use crate::state::Served;

/// Crimes, as police.uk's crime lists write them.
#[derive(Debug)]
pub struct HeldCrimes(pub Vec<CrimeKey>);

/// Outcomes, as `outcomes-at-location` writes them.
#[derive(Debug)]
pub struct HeldOutcomes(pub Vec<OutcomeKey>);

/// Stops and searches, as the `stops-*` routes write them.
#[derive(Debug)]
pub struct HeldStops(pub Vec<StopKey>);

/// Offers `keys` from `at` to `sink`, writing each with `write`; where to go on, or `None`
/// once all are written.
fn walk_keys<K: Copy>(
    keys: &[K],
    at: usize,
    sink: &mut RecordSink<'_>,
    mut write: impl FnMut(K, &mut RecordSink<'_>),
) -> Option<usize> {
    for (i, &key) in keys.iter().enumerate().skip(at) {
        if !sink.look() || !sink.begin() {
            return Some(i);
        }
        write(key, sink);
    }
    None
}

impl ListWalk for HeldCrimes {
    type Position = usize;
    const JSON_MEMBER: &'static str = "crimes";
    const CSV_KIND: FileKind = FileKind::Street;
    const ENVELOPE: Envelope = Envelope::Array;
    const MARKS_REPEATS: bool = true;

    fn records_left(&self, at: usize) -> Option<usize> {
        Some(self.0.len().saturating_sub(at))
    }

    fn walk(&self, served: &Served, at: usize, sink: &mut RecordSink<'_>) -> Option<usize> {
        walk_keys(&self.0, at, sink, |key, sink| {
            let crime = served.index.crime(key);
            match sink.marks.as_deref_mut() {
                Some(marks) => write_crime_marked(&crime, &served.locations, sink.out, marks),
                None => write_crime_marked(&crime, &served.locations, sink.out, &mut NoMarks),
            }
        })
    }
}

impl ListWalk for HeldOutcomes {
    type Position = usize;
    const JSON_MEMBER: &'static str = "outcomes";
    const CSV_KIND: FileKind = FileKind::Outcomes;
    const ENVELOPE: Envelope = Envelope::Array;

    fn walk(&self, served: &Served, at: usize, sink: &mut RecordSink<'_>) -> Option<usize> {
        walk_keys(&self.0, at, sink, |key, sink| {
            write_street_outcome(&served.index.outcome(key), sink.out)
        })
    }
}

impl ListWalk for HeldStops {
    type Position = usize;
    const JSON_MEMBER: &'static str = "stops";
    const CSV_KIND: FileKind = FileKind::StopAndSearch;
    const ENVELOPE: Envelope = Envelope::Array;

    fn walk(&self, served: &Served, at: usize, sink: &mut RecordSink<'_>) -> Option<usize> {
        walk_keys(&self.0, at, sink, |key, sink| {
            write_json(&stop(&served.stops.stop(&served.index, key)), sink.out)
        })
    }
}

/// How a police.uk list answer starts.
enum Start<W: ListWalk> {
    /// All of it fits one chunk: sent whole, with its `Content-Length`.
    Whole(Vec<u8>),
    /// Its first chunk is written; the rest is streamed (chunked).
    Streamed(ListBody<W>),
}

/// A police.uk list: `query` chooses the records on a blocking thread (an area search and
/// its sort take milliseconds, too long for the threads that serve connections), and the
/// first chunk is written there too. The thread is then free: the rest of the list is
/// written chunk by chunk as the client reads it (see [`ListBody`]). An error from `query`
/// (more results than the cap) comes before any byte of the answer.
///
/// When the client takes gzip best and the walk marks its repeats, the chunks are gzipped
/// as they are written, from the marks ([`crate::deflate`]); other codings are left to
/// [`compress::compress`].
pub async fn answer<W, F>(
    served: Arc<Served>,
    request: &HttpRequest,
    query: F,
) -> Result<HttpResponse, ApiError>
where
    W: ListWalk<Position = usize> + Unpin,
    F: FnOnce(&Served) -> Result<W, ApiError> + Send + 'static,
{
    let gzip = W::MARKS_REPEATS && compress::negotiated(request) == Some(Coding::Gzip);
    let (start, gzipped) = actix_web::rt::task::spawn_blocking(move || {
        let walk = query(&served)?;
        let mut writer = ListWriter::new(served, walk, ListFormat::Json, 0);
        if gzip {
            writer = writer.gzipped();
        }
        let first = writer.next_chunk();
        let gzipped = writer.is_gzipped();
        if writer.closed {
            return Ok((Start::Whole(first), gzipped));
        }
        Ok::<_, ApiError>((Start::Streamed(ListBody::new(writer, Some(first))), gzipped))
    })
    .await
    .map_err(|_| ApiError::Internal)??;
    let mut response = match start {
        Start::Whole(bytes) => json_body(answer_buffers::into_bytes(bytes)),
        Start::Streamed(body) => json_body(body),
    };
    if gzipped {
        compress::mark_encoded(&mut response, Coding::Gzip);
    }
    Ok(response)
}
