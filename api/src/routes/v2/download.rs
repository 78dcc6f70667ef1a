//! `/api/v2/download`: police.uk's custom download (forces, months, kinds → a zip of CSVs
//! laid out like its bulk archive), built from the store.
//!
//! The only route that runs SQL on the request path: the archive needs every column of
//! every row, which the index does not keep. The zip is written on a thread of its own by
//! `police_store::export::write_archive` and handed to the client through a bounded channel
//! of a few chunks, so memory stays flat whatever the size and a slow client slows the
//! writer down (and one that goes away stops it). At most `--max-downloads` run at once.

use std::io::Write;

use actix_web::http::header::{ContentDisposition, ContentEncoding, DispositionParam};
use actix_web::rt::time::timeout;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use police_openapi::ZipArchive;
use police_store::export::{write_archive, ArchiveSelection};
use tokio::sync::{mpsc, oneshot};

use crate::error::ApiError;
use crate::params::{DownloadQuery, Params};
use crate::render::ChannelBody;
use crate::state::AppState;

/// Chunks of the zip handed to the client at a time.
const CHUNK: usize = 256 * 1024;
/// Chunks written but not yet sent that a download may hold: with [`CHUNK`], at most a
/// megabyte in the channel per download.
const CHANNEL_CHUNKS: usize = 4;
/// What `Retry-After` says when every download slot is taken, in seconds.
const RETRY_AFTER_S: u32 = 30;

/// How long a download waits for a free slot before answering 503.
const SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Custom download.
///
/// A zip of police.uk's monthly CSVs, as its custom download (the form at
/// <https://data.police.uk/data/>) gives them, but from this server's store: for each month
/// from `from` to `to`, each of `forces` and each of `kinds`, the file the store holds, at
/// `YYYY-MM/YYYY-MM-<force>-<kind>.csv` (`street`, `outcomes`, `stop-and-search`), with
/// police.uk's header and columns, rows in the order of the file imported, UTF-8 without BOM,
/// LF line ends, a field quoted only when it holds a comma, a quote or a line break. Months
/// and forces the store holds no file for are left out, as police.uk's archive does. The
/// archive is one consistent state of the store (one transaction), streamed as it is
/// written (entries deflated, sizes in data descriptors); importing it with
/// `police-api import` gives back the same rows. See `docs/COMPATIBILITY.md` for what the
/// store cannot give back exactly.
///
/// A few downloads run at once (`--max-downloads`, default 2); past that a request waits up
/// to 5 s for a slot, then answers 503 with `Retry-After`.
#[utoipa::path(
    tag = "v2",
    params(DownloadQuery),
    responses(
        (status = 200, description = "A zip laid out like police.uk's bulk archive, streamed", content_type = "application/zip", body = ZipArchive,
         headers(("Content-Disposition" = String, description = "attachment; filename=\"police-uk-<from>-<to>.zip\""))),
        (status = 400, description = "A malformed from/to, from after to, a period past 600 months, an empty item in forces or kinds, or an unknown kind", content_type = "text/plain"),
        (status = 404, description = "An unknown force, or the store holds no file of the selection", content_type = "text/plain"),
        (status = 503, description = "As many downloads are running as the server allows at once, still after 5 s of waiting; try again after Retry-After seconds", content_type = "text/plain",
         headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
    )
)]
#[get("/download")]
pub async fn custom_download(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let snapshot = state.current();
    let latest = snapshot.months.first().map(|m| m.month);
    let selection = DownloadQuery::from_params(&params).selection(latest)?;
    drop(snapshot);
    let store = state.store().ok_or(ApiError::Internal)?;
    // A slot is the writing thread and its database connections: it frees when the writer
    // has queued its last chunk (the channel's few chunks then still go to the client) or,
    // for a client gone away, at its next chunk. A short wait spares the next request a 503
    // it did not deserve.
    let waited = timeout(SLOT_WAIT, store.downloads.clone().acquire_owned()).await;
    let Ok(Ok(permit)) = waited else {
        return Err(ApiError::DownloadsBusy {
            running: store.max_downloads,
            retry_after: RETRY_AFTER_S,
        });
    };

    let (chunks, receiver) = mpsc::channel(CHANNEL_CHUNKS);
    let (listed, ready) = oneshot::channel();
    let database_url = store.database_url.clone();
    let job = selection.clone();
    std::thread::Builder::new()
        .name("download".into())
        .spawn(move || {
            let _permit = permit;
            write(&database_url, &job, chunks, listed);
        })
        .map_err(|error| {
            tracing::error!("download: cannot start a thread: {error}");
            ApiError::Internal
        })?;
    match ready.await {
        Ok(Listed::Files) => {}
        Ok(Listed::Nothing) => {
            return Err(ApiError::NotFound(format!(
                "the store holds no {} file of {} from {} to {}",
                selection.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" or "),
                if selection.forces.is_empty() {
                    "any force".to_owned()
                } else {
                    selection.forces.join(", ")
                },
                selection.from,
                selection.to,
            )))
        }
        Ok(Listed::Failed) | Err(_) => return Err(ApiError::Internal),
    }
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        // Already deflated: the compression middleware must leave it alone.
        .insert_header(ContentEncoding::Identity)
        .insert_header(ContentDisposition {
            disposition: actix_web::http::header::DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!(
                "police-uk-{}-{}.zip",
                selection.from, selection.to
            ))],
        })
        .body(ChannelBody::new(Vec::new(), receiver)))
}

/// What the writing thread found in the ledger, told before it writes anything.
enum Listed {
    Files,
    Nothing,
    Failed,
}

/// Writes the archive into `chunks`; `listed` learns first whether there is anything to
/// write. An error once streaming has begun goes down the channel, so the client sees a
/// broken transfer rather than a zip that looks whole.
fn write(
    database_url: &str,
    selection: &ArchiveSelection,
    chunks: mpsc::Sender<Result<Bytes, std::io::Error>>,
    listed: oneshot::Sender<Listed>,
) {
    let mut listed = Some(listed);
    let mut nothing = false;
    let errors = chunks.clone();
    let writer = ChannelWriter { chunks, buffer: Vec::with_capacity(CHUNK) };
    let result = write_archive(database_url, selection, writer, |entries| {
        nothing = entries.is_empty();
        if let Some(listed) = listed.take() {
            let _ = listed.send(if nothing { Listed::Nothing } else { Listed::Files });
        }
        // The handler answers 404 then: stop before writing.
        anyhow::ensure!(!nothing, "nothing to download");
        Ok(())
    });
    match (result, listed.take()) {
        (Ok(_), _) => {}
        (Err(error), Some(listed)) => {
            tracing::error!("download: {error:#}");
            let _ = listed.send(Listed::Failed);
        }
        // Nothing to write, or a client that has gone: no error of ours.
        (Err(_), None) if nothing || errors.is_closed() => {}
        (Err(error), None) => {
            tracing::error!("download: {error:#}");
            let _ = errors.blocking_send(Err(std::io::Error::other(error.to_string())));
        }
    }
}

/// Gathers the zip into chunks and sends each down the bounded channel, waiting while it is
/// full; fails once the client has gone.
struct ChannelWriter {
    chunks: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.chunks
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client has gone"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buffer.is_empty() {
            self.send()?;
        }
        Ok(())
    }
}
