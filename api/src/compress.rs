//! Compressed answers: zstd, brotli or gzip, as the client's `Accept-Encoding` asks.
//!
//! Mobile and browser clients all send `Accept-Encoding`; a point query's answer (~300 KB of
//! JSON) shrinks to 13–18 % of its size. What matters here is the cost per byte on the one
//! core that also renders the answer, so every coding runs at a fast level (measured in
//! `benches/RESULTS.md`, "Compressed answers"):
//!
//! - **zstd** level 1: ~1.2 GB/s on a point answer, smaller than `gzip -6`. First choice when
//!   the client ranks it as high as the others (Chromium and Firefox send
//!   `gzip, deflate, br, zstd`).
//! - **br** quality 1: ~400 MB/s, smaller than `gzip -6` (Safari sends `gzip, deflate, br`).
//! - **gzip** through miniz_oxide's deflate at level 1: ~450 MB/s, ~18 % where `gzip -6`
//!   gives ~15.5 %. (flate2 in this build uses zlib-rs, whose level 1 is faster-looking
//!   "quick" deflate with static codes only: 23 %; its level 2 is slower than miniz's 1.)
//!   police.uk's crime lists are not gzipped here: their writer gzips them itself from the
//!   repeats it marks ([`crate::deflate`]; ~750 MB/s per core in the server, as small as
//!   deflate level 1) and marks the answer encoded ([`mark_encoded`]), which this
//!   middleware then leaves alone.
//!
//! Negotiation (RFC 9110 §12.5.3): the highest `q` among the codings offered wins; codings the
//! client ranks equally are taken in the order zstd, br, gzip; `x-gzip` is gzip; `*` stands
//! for any coding not named. `identity` is always acceptable to us: a client that refuses
//! every coding here (and identity too) still gets the answer uncompressed, as most servers do,
//! rather than 406.
//!
//! Only answers worth it are compressed: a 2xx (other than 204), a text-like media type
//! (`text/*`, JSON, GeoJSON, JavaScript, XML, SVG, CSV), no `Content-Encoding` of its own (the
//! custom download's zip is already deflated), and at least [`SMALLEST_COMPRESSED`] bytes
//! when the size is known. `Vary: Accept-Encoding` goes on every answer of such a type, so
//! caches keep the codings apart. HEAD requests are answered uncompressed.
//!
//! An answer whose bytes are all in hand (police.uk's area and point answers, most v2 ones) is
//! compressed in one call and keeps a `Content-Length`; this runs inside
//! [`crate::in_flight`], so the room reserved for it is its compressed size; a streamed answer is compressed
//! piece by piece as the HTTP layer asks for it, each piece at most
//! [`crate::in_flight::PIECE_BYTES`] of input, and flushed whenever its producer has nothing
//! ready, so a slowly produced list still arrives as it is made.

use std::cell::RefCell;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderMap, HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, VARY,
};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use miniz_oxide::deflate::core::{
    compress as deflate, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush,
    TDEFLStatus,
};
use zstd::zstd_safe::zstd_sys::ZSTD_EndDirective;
use zstd::zstd_safe::{CCtx, CParameter, InBuffer, OutBuffer, ResetDirective};

/// Answers smaller than this many bytes go out as they are: the coding's own framing and a
/// client's work to undo it cost more than the few hundred bytes saved.
pub const SMALLEST_COMPRESSED: u64 = 1024;

/// zstd's level: its fastest positive level, already smaller than `gzip -6` on our JSON.
const ZSTD_LEVEL: i32 = 1;
/// Brotli's quality: 1 is ~2× as fast as 2 for the same size on our JSON.
const BROTLI_QUALITY: u32 = 1;
/// Brotli's window (log2 bytes): 4 MiB, as `brotli` and browsers use by default.
const BROTLI_WINDOW_LOG: u32 = 22;
/// Deflate's level in miniz_oxide: greedy matching, one hash probe.
const DEFLATE_LEVEL: i32 = 1;

/// A content coding this server writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// Zstandard (RFC 8878).
    Zstd,
    /// Brotli (RFC 7932).
    Brotli,
    /// gzip (RFC 1952).
    Gzip,
}

impl Coding {
    /// Ties between codings the client ranks equally go to the earlier one.
    const PREFERENCE: [Coding; 3] = [Coding::Zstd, Coding::Brotli, Coding::Gzip];

    /// The coding's name in `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Zstd => "zstd",
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }

    fn named(token: &str) -> Option<Coding> {
        Coding::PREFERENCE
            .into_iter()
            .find(|coding| token.eq_ignore_ascii_case(coding.token()))
            .or_else(|| token.eq_ignore_ascii_case("x-gzip").then_some(Coding::Gzip))
    }
}

/// The coding to answer with, from the request's `Accept-Encoding` headers (all of them; a
/// list may be split over several); `None`: identity.
pub fn negotiate<'a>(accept_encoding: impl Iterator<Item = &'a HeaderValue>) -> Option<Coding> {
    // The q-value of each coding, in thousandths as RFC 9110 §12.4.2 defines them, and of `*`.
    let mut named = [None::<u16>; 3];
    let mut any = None::<u16>;
    for value in accept_encoding {
        let Ok(value) = value.to_str() else { continue };
        for member in value.split(',') {
            let mut parts = member.split(';');
            let token = parts.next().unwrap_or_default().trim();
            let Some(weight) = weight_of(parts) else { continue };
            if token == "*" {
                any = Some(weight);
            } else if let Some(coding) = Coding::named(token) {
                let slot = &mut named[coding as usize];
                // Listed twice: the higher counts, as lenient parsers do.
                *slot = Some(slot.map_or(weight, |seen| seen.max(weight)));
            }
        }
    }
    let mut best: Option<(Coding, u16)> = None;
    for coding in Coding::PREFERENCE {
        let weight = named[coding as usize].or(any).unwrap_or(0);
        if weight > 0 && best.is_none_or(|(_, best_weight)| weight > best_weight) {
            best = Some((coding, weight));
        }
    }
    best.map(|(coding, _)| coding)
}

/// The `q` parameter among a member's parameters, in thousandths (1,000 when absent); `None`
/// when it is not a valid q-value, so the member is ignored.
fn weight_of<'a>(parameters: impl Iterator<Item = &'a str>) -> Option<u16> {
    let mut weight = 1000;
    for parameter in parameters {
        let Some((name, value)) = parameter.split_once('=') else { continue };
        if !name.trim().eq_ignore_ascii_case("q") {
            continue;
        }
        weight = parse_q(value.trim())?;
    }
    Some(weight)
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_q(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Whether answers of this media type are worth compressing (images and archives are not).
fn compressible(headers: &HeaderMap) -> bool {
    let Some(Ok(media_type)) = headers.get(CONTENT_TYPE).map(HeaderValue::to_str) else {
        return false;
    };
    let essence = media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("json")
        || essence.ends_with("+xml")
        || essence == "application/xml"
        || essence == "application/javascript"
        || essence == "image/svg+xml"
}

/// Marks a HEAD request that an outer middleware turned into a GET for the routes.
pub struct AnsweringHead;

/// The coding negotiated for a request, for routes that write it themselves.
#[derive(Debug, Clone, Copy)]
struct Negotiated(Option<Coding>);

/// The coding this request's answer will be compressed with (`None`: identity, HEAD, or a
/// request that did not pass through [`compress`]).
pub fn negotiated(request: &actix_web::HttpRequest) -> Option<Coding> {
    request.extensions().get::<Negotiated>().and_then(|negotiated| negotiated.0)
}

/// Marks an answer a route compressed itself with `coding` (as [`negotiated`] said), with
/// the headers [`compress`] would have set.
pub fn mark_encoded(response: &mut actix_web::HttpResponse, coding: Coding) {
    let headers = response.headers_mut();
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding.token()));
    headers.append(VARY, HeaderValue::from_static("accept-encoding"));
}

/// Middleware: compresses answers as the module documentation says.
pub async fn compress(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // HEAD reaches this innermost middleware as GET (see `AnsweringHead`).
    let coding = if request.extensions().contains::<AnsweringHead>() {
        None
    } else {
        negotiate(request.headers().get_all(ACCEPT_ENCODING))
    };
    request.extensions_mut().insert(Negotiated(coding));
    let mut response = next.call(request).await?.map_into_boxed_body();
    let status = response.status();
    let headers = response.headers();
    if !status.is_success()
        || status == StatusCode::NO_CONTENT
        || headers.contains_key(CONTENT_ENCODING)
        || !compressible(headers)
    {
        return Ok(response);
    }
    response.headers_mut().append(VARY, HeaderValue::from_static("accept-encoding"));
    let Some(coding) = coding else { return Ok(response) };
    let size = response.response().body().size();
    match size {
        BodySize::None => return Ok(response),
        BodySize::Sized(size) if size < SMALLEST_COMPRESSED => return Ok(response),
        _ => {}
    }
    response.headers_mut().insert(CONTENT_ENCODING, HeaderValue::from_static(coding.token()));
    response.headers_mut().remove(CONTENT_LENGTH);
    Ok(response.map_body(|_, body| match body.try_into_bytes() {
        Ok(whole) => match compress_whole(coding, &whole) {
            Ok(compressed) => BoxBody::new(compressed),
            Err(error) => BoxBody::new(Failed(Some(error))),
        },
        Err(body) => match StreamEncoder::new(coding) {
            Ok(encoder) => BoxBody::new(Encoded::new(body, encoder)),
            Err(error) => BoxBody::new(Failed(Some(error))),
        },
    }))
}

/// A body whose compression failed: the error ends the answer (the connection is closed, so
/// the client sees a truncated answer, never a wrong one).
struct Failed(Option<std::io::Error>);

impl MessageBody for Failed {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(self.get_mut().0.take().map(Err))
    }
}

/// Most compressor states a thread keeps for reuse: more answers than this compressed at
/// once on one thread make new ones, which are dropped when done.
const KEPT_STATES: usize = 16;

/// Output buffers larger than this are not kept for reuse.
const KEPT_BUFFER_BYTES: usize = 4 << 20;

/// A zstd context with its output buffer.
struct ZstdState {
    context: CCtx<'static>,
    /// Compressed bytes not yet taken (its length is what is filled).
    output: Vec<u8>,
}

/// A deflate compressor with its output buffer.
struct DeflateState {
    compressor: CompressorOxide,
    /// Always initialised to its length (miniz_oxide writes into a slice): only the first
    /// `filled` bytes are output, so a reused buffer is not cleared again.
    output: Vec<u8>,
}

thread_local! {
    /// Compressor states of this thread not in use. Making a zstd context allocates and
    /// clears ~1 MB of tables, a deflate compressor ~300 KB, as long as compressing a small
    /// answer takes; and output buffers of 64 KiB and more are mapped afresh by the allocator
    /// each time (see `crate::allocator`). Kept, each answer costs neither.
    static ZSTD_STATES: RefCell<Vec<ZstdState>> = const { RefCell::new(Vec::new()) };
    static DEFLATE_STATES: RefCell<Vec<Box<DeflateState>>> = const { RefCell::new(Vec::new()) };
}

fn zstd_error(code: usize) -> std::io::Error {
    std::io::Error::other(format!("zstd: {}", zstd::zstd_safe::get_error_name(code)))
}

/// A zstd context for one answer, from this thread's spares or new.
fn zstd_state() -> std::io::Result<ZstdState> {
    if let Some(state) = ZSTD_STATES.with_borrow_mut(Vec::pop) {
        return Ok(state);
    }
    let mut context = CCtx::try_create()
        .ok_or_else(|| std::io::Error::other("zstd: could not allocate a context"))?;
    context.set_parameter(CParameter::CompressionLevel(ZSTD_LEVEL)).map_err(zstd_error)?;
    Ok(ZstdState { context, output: Vec::new() })
}

/// Returns a context to this thread's spares, its frame abandoned, its level kept.
fn zstd_state_done(mut state: ZstdState) {
    state.output.clear();
    if state.context.reset(ResetDirective::SessionOnly).is_ok()
        && state.output.capacity() <= KEPT_BUFFER_BYTES
    {
        ZSTD_STATES.with_borrow_mut(|spares| {
            if spares.len() < KEPT_STATES {
                spares.push(state);
            }
        });
    }
}

/// Compresses an answer held whole, in one call.
pub fn compress_whole(coding: Coding, input: &[u8]) -> std::io::Result<Bytes> {
    match coding {
        Coding::Zstd => {
            let mut state = zstd_state()?;
            state.output.reserve(zstd::zstd_safe::compress_bound(input.len()));
            let result = state.context.compress2(&mut state.output, input);
            let compressed = Bytes::copy_from_slice(&state.output);
            zstd_state_done(state);
            result.map_err(zstd_error)?;
            Ok(compressed)
        }
        Coding::Brotli | Coding::Gzip => {
            let mut encoder = StreamEncoder::new(coding)?;
            encoder.write(input)?;
            encoder.finish().map(Bytes::from)
        }
    }
}

/// One answer's compressor, fed in pieces.
pub enum StreamEncoder {
    /// zstd, with a context of this thread's.
    Zstd(ZstdEncoder),
    /// Brotli, writing into its `Vec`.
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    /// gzip: miniz_oxide's raw deflate between a header and a trailer of our own.
    Gzip(GzipEncoder),
}

impl StreamEncoder {
    /// A compressor for one answer.
    pub fn new(coding: Coding) -> std::io::Result<StreamEncoder> {
        Ok(match coding {
            Coding::Zstd => StreamEncoder::Zstd(ZstdEncoder { state: Some(zstd_state()?) }),
            Coding::Brotli => StreamEncoder::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                64 * 1024,
                BROTLI_QUALITY,
                BROTLI_WINDOW_LOG,
            ))),
            Coding::Gzip => StreamEncoder::Gzip(GzipEncoder::new()),
        })
    }

    /// Feeds more of the answer.
    pub fn write(&mut self, input: &[u8]) -> std::io::Result<()> {
        match self {
            StreamEncoder::Zstd(encoder) => encoder.run(input, ZSTD_EndDirective::ZSTD_e_continue),
            StreamEncoder::Brotli(encoder) => encoder.write_all(input),
            StreamEncoder::Gzip(encoder) => {
                encoder.deflate(input, TDEFLFlush::None);
                Ok(())
            }
        }
    }

    /// Makes everything fed so far decodable by the client.
    pub fn flush(&mut self) -> std::io::Result<()> {
        match self {
            StreamEncoder::Zstd(encoder) => encoder.run(&[], ZSTD_EndDirective::ZSTD_e_flush),
            StreamEncoder::Brotli(encoder) => encoder.flush(),
            StreamEncoder::Gzip(encoder) => {
                encoder.deflate(&[], TDEFLFlush::Sync);
                Ok(())
            }
        }
    }

    /// The compressed bytes produced so far and not yet taken (a copy: the encoder's buffer
    /// stays with it).
    pub fn take(&mut self) -> Vec<u8> {
        match self {
            StreamEncoder::Zstd(encoder) => encoder.take(),
            StreamEncoder::Brotli(encoder) => std::mem::take(encoder.get_mut()),
            StreamEncoder::Gzip(encoder) => encoder.take(),
        }
    }

    /// Ends the stream: the rest of the compressed bytes.
    pub fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            StreamEncoder::Zstd(mut encoder) => {
                encoder.run(&[], ZSTD_EndDirective::ZSTD_e_end)?;
                Ok(encoder.take())
            }
            StreamEncoder::Brotli(mut encoder) => {
                // Dropping the writer would end the stream too, but would swallow an error.
                encoder.flush()?;
                Ok(encoder.into_inner())
            }
            StreamEncoder::Gzip(mut encoder) => {
                encoder.deflate(&[], TDEFLFlush::Finish);
                let mut output = encoder.take();
                output.extend_from_slice(&encoder.checksum.clone().finalize().to_le_bytes());
                // ISIZE: the input's length modulo 2^32 (RFC 1952 §2.3.1).
                output.extend_from_slice(&(encoder.length as u32).to_le_bytes());
                Ok(output)
            }
        }
    }
}

/// zstd written with a context kept by the thread (see [`zstd_state`]).
pub struct ZstdEncoder {
    /// `None` once dropped.
    state: Option<ZstdState>,
}

impl ZstdEncoder {
    /// Compresses `input` into the output; a flush or the end runs until zstd has no more.
    fn run(&mut self, input: &[u8], directive: ZSTD_EndDirective) -> std::io::Result<()> {
        let state = self.state.as_mut().ok_or_else(|| std::io::Error::other("zstd: ended"))?;
        let mut input = InBuffer::around(input);
        loop {
            state.output.reserve(CCtx::out_size().max(input.src.len() / 2));
            let start = state.output.len();
            let mut output = OutBuffer::around_pos(&mut state.output, start);
            let left_to_flush = state
                .context
                .compress_stream2(&mut output, &mut input, directive)
                .map_err(zstd_error)?;
            let consumed = input.pos() == input.src.len();
            let done = match directive {
                ZSTD_EndDirective::ZSTD_e_continue => consumed,
                _ => consumed && left_to_flush == 0,
            };
            if done {
                return Ok(());
            }
        }
    }

    fn take(&mut self) -> Vec<u8> {
        let Some(state) = self.state.as_mut() else { return Vec::new() };
        let output = state.output.clone();
        state.output.clear();
        output
    }
}

impl Drop for ZstdEncoder {
    fn drop(&mut self) {
        if let Some(state) = self.state.take() {
            zstd_state_done(state);
        }
    }
}

/// gzip written with miniz_oxide's deflate (see the module documentation for why not flate2).
pub struct GzipEncoder {
    /// Taken from this thread's spares (see [`DEFLATE_STATES`]); `None` once dropped.
    state: Option<Box<DeflateState>>,
    /// Bytes of `state.output` written and not yet taken.
    filled: usize,
    checksum: crc32fast::Hasher,
    length: u64,
}

impl GzipEncoder {
    /// gzip's header (RFC 1952 §2.3): deflate, no name or time, operating system unknown.
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

    fn new() -> GzipEncoder {
        let mut state = DEFLATE_STATES.with_borrow_mut(Vec::pop).unwrap_or_else(|| {
            // Negative window bits: raw deflate, no zlib wrapper.
            let flags = create_comp_flags_from_zip_params(DEFLATE_LEVEL, -15, 0);
            Box::new(DeflateState { compressor: CompressorOxide::new(flags), output: Vec::new() })
        });
        if state.output.len() < Self::HEADER.len() {
            state.output.resize(Self::HEADER.len(), 0);
        }
        state.output[..Self::HEADER.len()].copy_from_slice(&Self::HEADER);
        GzipEncoder {
            state: Some(state),
            filled: Self::HEADER.len(),
            checksum: crc32fast::Hasher::new(),
            length: 0,
        }
    }

    /// Deflates `input` into the output, growing it as needed.
    fn deflate(&mut self, mut input: &[u8], flush: TDEFLFlush) {
        let Some(state) = self.state.as_mut() else { return };
        self.checksum.update(input);
        self.length += input.len() as u64;
        loop {
            // Deflate rarely expands; half the input plus a margin for a flush's pending
            // bytes is rarely exceeded, and when it is the loop grows the buffer again.
            let wanted = self.filled + input.len() / 2 + 64 * 1024;
            if state.output.len() < wanted {
                state.output.resize(wanted, 0);
            }
            let room = state.output.len() - self.filled;
            let (status, read, written) =
                deflate(&mut state.compressor, input, &mut state.output[self.filled..], flush);
            self.filled += written;
            input = &input[read.min(input.len())..];
            match status {
                TDEFLStatus::Done => return,
                TDEFLStatus::Okay if input.is_empty() && written < room => return,
                TDEFLStatus::Okay => {}
                // Bad parameters or a failed callback: neither can happen with buffers.
                TDEFLStatus::BadParam | TDEFLStatus::PutBufFailed => return,
            }
        }
    }

    fn take(&mut self) -> Vec<u8> {
        let Some(state) = self.state.as_ref() else { return Vec::new() };
        let output = state.output[..self.filled].to_vec();
        self.filled = 0;
        output
    }
}

impl Drop for GzipEncoder {
    fn drop(&mut self) {
        let Some(mut state) = self.state.take() else { return };
        if state.output.len() > KEPT_BUFFER_BYTES {
            return;
        }
        state.compressor.reset();
        DEFLATE_STATES.with_borrow_mut(|spares| {
            if spares.len() < KEPT_STATES {
                spares.push(state);
            }
        });
    }
}

/// A streamed answer, compressed as the HTTP layer asks for it.
struct Encoded {
    body: BoxBody,
    encoder: Option<StreamEncoder>,
    /// What is left of the chunk the body last gave.
    piece: Bytes,
    /// Whether input went into the encoder since its last flush.
    unflushed: bool,
}

impl Encoded {
    fn new(body: BoxBody, encoder: StreamEncoder) -> Encoded {
        Encoded { body, encoder: Some(encoder), piece: Bytes::new(), unflushed: false }
    }
}

impl MessageBody for Encoded {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        let Some(encoder) = this.encoder.as_mut() else {
            return Poll::Ready(None);
        };
        loop {
            if this.piece.is_empty() {
                match Pin::new(&mut this.body).poll_next(cx) {
                    Poll::Ready(Some(Ok(chunk))) => this.piece = chunk,
                    Poll::Ready(Some(Err(error))) => {
                        this.encoder = None;
                        return Poll::Ready(Some(Err(error)));
                    }
                    Poll::Ready(None) => {
                        let Some(encoder) = this.encoder.take() else {
                            return Poll::Ready(None);
                        };
                        return Poll::Ready(Some(
                            encoder.finish().map(Bytes::from).map_err(Into::into),
                        ));
                    }
                    Poll::Pending => {
                        if !this.unflushed {
                            return Poll::Pending;
                        }
                        this.unflushed = false;
                        if let Err(error) = encoder.flush() {
                            this.encoder = None;
                            return Poll::Ready(Some(Err(error.into())));
                        }
                        let output = encoder.take();
                        if output.is_empty() {
                            return Poll::Pending;
                        }
                        return Poll::Ready(Some(Ok(Bytes::from(output))));
                    }
                }
            }
            let take = this.piece.len().min(crate::in_flight::PIECE_BYTES);
            let input = this.piece.split_to(take);
            if let Err(error) = encoder.write(&input) {
                this.encoder = None;
                return Poll::Ready(Some(Err(error.into())));
            }
            this.unflushed = true;
            let output = encoder.take();
            if !output.is_empty() {
                return Poll::Ready(Some(Ok(Bytes::from(output))));
            }
            // Nothing out yet: give other connections their turn before the next piece.
            if !this.piece.is_empty() {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(header: &str) -> Option<Coding> {
        negotiate([HeaderValue::from_str(header).unwrap()].iter())
    }

    #[test]
    fn the_clients_ranking_wins_and_ties_go_zstd_br_gzip() {
        assert_eq!(chosen("gzip, deflate, br, zstd"), Some(Coding::Zstd));
        assert_eq!(chosen("gzip, deflate, br"), Some(Coding::Brotli));
        assert_eq!(chosen("gzip"), Some(Coding::Gzip));
        assert_eq!(chosen("x-gzip"), Some(Coding::Gzip));
        assert_eq!(chosen("GZIP;Q=0.5, br;q=0.4"), Some(Coding::Gzip));
        assert_eq!(chosen("zstd;q=0.1, gzip;q=0.9"), Some(Coding::Gzip));
        assert_eq!(chosen("*"), Some(Coding::Zstd));
        assert_eq!(chosen("*;q=0.5, zstd;q=0"), Some(Coding::Brotli));
        assert_eq!(chosen("identity"), None);
        assert_eq!(chosen("deflate, compress"), None);
        assert_eq!(chosen("gzip;q=0"), None);
        assert_eq!(chosen(""), None);
        assert_eq!(negotiate(std::iter::empty()), None);
    }

    #[test]
    fn invalid_weights_drop_their_member_only() {
        assert_eq!(chosen("zstd;q=2, gzip"), Some(Coding::Gzip));
        assert_eq!(chosen("zstd;q=0.1234, br;q=abc, gzip;q=0.001"), Some(Coding::Gzip));
        assert_eq!(chosen("zstd;q=1.000"), Some(Coding::Zstd));
        assert_eq!(chosen("zstd;q=1.5"), None);
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.05"), Some(50));
        assert_eq!(parse_q("1."), Some(1000));
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q(".5"), None);
    }

    #[test]
    fn several_headers_count_together() {
        let values = [HeaderValue::from_static("gzip;q=0.5"), HeaderValue::from_static("br")];
        assert_eq!(negotiate(values.iter()), Some(Coding::Brotli));
    }

    fn decode(coding: Coding, compressed: &[u8]) -> Vec<u8> {
        use std::io::Read;
        let mut out = Vec::new();
        match coding {
            Coding::Zstd => {
                zstd::stream::read::Decoder::new(compressed).unwrap().read_to_end(&mut out)
            }
            Coding::Brotli => brotli::Decompressor::new(compressed, 4096).read_to_end(&mut out),
            Coding::Gzip => flate2::read::GzDecoder::new(compressed).read_to_end(&mut out),
        }
        .unwrap();
        out
    }

    fn sample(length: usize) -> Vec<u8> {
        let mut text = Vec::new();
        let mut state = 7u64;
        while text.len() < length {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            text.extend_from_slice(
                format!(
                    r#"{{"id":{},"category":"c{}","street":"On or near {}"}},"#,
                    state >> 40,
                    state % 7,
                    state % 1000
                )
                .as_bytes(),
            );
        }
        text.truncate(length);
        text
    }

    #[test]
    fn every_coding_decodes_to_the_input_whole_and_in_flushed_pieces() {
        for coding in Coding::PREFERENCE {
            for length in [0, 1, 1500, 70_000, 400_000] {
                let input = sample(length);
                let whole = compress_whole(coding, &input).unwrap();
                assert_eq!(decode(coding, &whole), input, "{coding:?} whole, {length} bytes");
                if length > 1000 {
                    assert!(whole.len() < input.len() / 2, "{coding:?}: {} bytes", whole.len());
                }
                let mut encoder = StreamEncoder::new(coding).unwrap();
                let mut streamed = Vec::new();
                for (index, piece) in input.chunks(10_000).enumerate() {
                    encoder.write(piece).unwrap();
                    if index % 3 == 0 {
                        encoder.flush().unwrap();
                        streamed.extend(encoder.take());
                        // What was flushed decodes already, before the stream ends.
                        let flushed = index * 10_000 + piece.len();
                        if coding == Coding::Gzip {
                            let mut partial = Vec::new();
                            let mut reader = flate2::read::DeflateDecoder::new(&streamed[10..]);
                            let _ = std::io::Read::read_to_end(&mut reader, &mut partial);
                            assert_eq!(partial, input[..flushed], "{coding:?} flush");
                        }
                    }
                    streamed.extend(encoder.take());
                }
                streamed.extend(encoder.finish().unwrap());
                assert_eq!(decode(coding, &streamed), input, "{coding:?} streamed, {length}");
            }
        }
    }
}
