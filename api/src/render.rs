//! Writing police.uk's JSON straight from index records: compact, in police.uk's key order
//! (the wire types in `police-openapi` fix it), one record at a time.

use std::cell::RefCell;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use police_index::crimes::{CrimeRef, OutcomeRef, SnapPoint};
use police_index::reference::outcome_category;
use police_index::stops::StopRef;
use police_index::Month;
use police_openapi::{
    Coordinate, CrimeOutcome, CrimeWithOutcomes, Location, OutcomeCategory, OutcomeCrime, Stop,
    StopOutcomeObject, Street, StreetOutcome, UtcDateTime, YearMonth,
};
use serde::Serialize;

use crate::compress::{self, Coding, SMALLEST_COMPRESSED};
use crate::deflate::{HintedGzip, NoMarks, SpanMarks, SpanMatcher};
use crate::error::ApiError;
use crate::json_writer::{self, PointLocations};

pub mod list;

fn year_month(month: Month) -> YearMonth {
    YearMonth { year: month.year(), month: month.month() }
}

fn location<'a>(crime: &CrimeRef<'a>) -> (Option<Location<'a>>, Option<&'a str>, &'a str) {
    match crime.point {
        Some(point) => (
            Some(Location {
                latitude: Coordinate(point.latitude),
                street: Street { id: i64::from(point.id), name: &point.name },
                longitude: Coordinate(point.longitude),
            }),
            Some(point.location_type.as_str()),
            &point.subtype,
        ),
        None => (None, None, ""),
    }
}

/// A crime as nested in outcome records.
pub fn outcome_crime<'a>(crime: &CrimeRef<'a>, id_buffer: &'a mut [u8; 64]) -> OutcomeCrime<'a> {
    let (location, location_type, location_subtype) = location(crime);
    OutcomeCrime {
        category: crime.category_slug(),
        persistent_id: crime.persistent_id(id_buffer),
        location_subtype,
        location_type,
        location,
        context: crime.context(),
        month: year_month(crime.month),
        id: i64::from(crime.record.id),
    }
}

fn outcome_category_of(code: u8) -> OutcomeCategory<'static> {
    let category = outcome_category(code);
    OutcomeCategory { code: category.code, name: category.name }
}

/// A `200 application/json` response with `body`: every JSON answer goes through here.
pub fn json_body<B: actix_web::body::MessageBody + 'static>(body: B) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(body)
}

/// `value` as police.uk's JSON response: compact, `application/json`.
pub fn json_response<T: Serialize>(value: &T) -> Result<HttpResponse, ApiError> {
    serde_json::to_vec(value).map(json_body).map_err(|_| ApiError::Internal)
}

/// Pre-rendered JSON (the snapshot's force and neighbourhood pages) as police.uk's response.
pub fn json_bytes(body: &[u8]) -> HttpResponse {
    json_body(body.to_vec())
}

/// A JSON array written element by element.
fn array<T>(items: &[T], mut write: impl FnMut(&T, &mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + items.len() * 400);
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(item, &mut out);
    }
    out.push(b']');
    out
}

pub(crate) fn write_json(value: &impl Serialize, out: &mut Vec<u8>) {
    serde_json::to_writer(out, value).expect("serialising to memory cannot fail");
}

/// `[crime, …]` as JSON bytes: byte for byte what serialising `police_openapi::Crime` gives
/// (the tests check it), written directly because crime lists are the large answers.
/// `locations` are the snapshot's pre-rendered snap points.
pub fn crimes_json(crimes: &[CrimeRef<'_>], locations: &PointLocations) -> Vec<u8> {
    crimes_json_marked(crimes, locations, &mut NoMarks)
}

/// [`crimes_json`], each crime's stretches marked (see [`write_crime_marked`]).
fn crimes_json_marked(
    crimes: &[CrimeRef<'_>],
    locations: &PointLocations,
    marks: &mut impl SpanMarks,
) -> Vec<u8> {
    // A crime takes 330–400 bytes: room for all at once, so the buffer never moves.
    let mut out = Vec::with_capacity(2 + crimes.len() * 420);
    out.push(b'[');
    for (i, crime) in crimes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_crime_marked(crime, locations, &mut out, marks);
    }
    out.push(b']');
    out
}

/// One [`Crime`], keys in its order.
pub(crate) fn write_crime(crime: &CrimeRef<'_>, locations: &PointLocations, out: &mut Vec<u8>) {
    write_crime_marked(crime, locations, out, &mut NoMarks);
}

/// One [`Crime`], its stretches marked for [`crate::deflate`]: what every crime of a
/// category repeats (keys, category, month, location type), a snap point's `location`
/// (repeated wherever the point was listed before) and the outcome status are repeatable;
/// the Persistent ID and the id are one-off. A mark covers what was written since the
/// previous one, so the separator before a crime goes with its first stretch.
pub(crate) fn write_crime_marked(
    crime: &CrimeRef<'_>,
    locations: &PointLocations,
    out: &mut Vec<u8>,
    marks: &mut impl SpanMarks,
) {
    out.extend_from_slice(b"{\"category\":");
    json_writer::plain_string(crime.category_slug(), out);
    out.extend_from_slice(b",\"persistent_id\":");
    marks.repeatable(out);
    match crime.hex_persistent_id() {
        Some(bytes) => json_writer::hex_string(bytes, out),
        None => json_writer::string(crime.persistent_id(&mut [0u8; 64]), out),
    }
    marks.literal(out);
    out.extend_from_slice(b",\"location_subtype\":");
    json_writer::string(crime.point.map_or("", |p| &p.subtype), out);
    out.extend_from_slice(b",\"id\":");
    marks.repeatable(out);
    json_writer::integer(i64::from(crime.record.id), out);
    marks.literal(out);
    out.extend_from_slice(b",\"location\":");
    match crime.point_index() {
        Some(point) => out.extend_from_slice(locations.get(point)),
        None => out.extend_from_slice(b"null"),
    }
    marks.repeatable(out);
    out.extend_from_slice(b",\"context\":");
    json_writer::string(crime.context(), out);
    out.extend_from_slice(b",\"month\":");
    json_writer::month(crime.month, out);
    out.extend_from_slice(b",\"location_type\":");
    match crime.point {
        Some(point) => json_writer::plain_string(point.location_type.as_str(), out),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"outcome_status\":");
    marks.repeatable(out);
    match crime.outcome_status() {
        Some((category, month)) => {
            out.extend_from_slice(b"{\"category\":");
            json_writer::string(category, out);
            out.extend_from_slice(b",\"date\":");
            json_writer::month(month, out);
            out.push(b'}');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
    marks.repeatable(out);
}

/// `[crime, …]`.
pub fn crimes(crimes: &[CrimeRef<'_>], locations: &PointLocations) -> HttpResponse {
    json_body(crimes_json(crimes, locations))
}

/// Most crimes of a list held whole that are gzipped from their marks: they fit the window
/// one [`SpanMatcher`] is sized for (64 KiB).
const MARKED_WHOLE_CRIMES: usize = 150;

thread_local! {
    /// The matcher of this thread's whole crime lists (its tables are cleared, not
    /// allocated, for each).
    static MATCHER: RefCell<SpanMatcher> = RefCell::new(SpanMatcher::default());
}

/// `[crime, …]` for `request`: gzipped from the writer's marks ([`crate::deflate`]) when
/// gzip is the negotiated coding and the list is short, as police.uk's streamed crime lists
/// are; otherwise as [`crimes`], left to the compression middleware.
pub fn crimes_for(
    request: &HttpRequest,
    crimes: &[CrimeRef<'_>],
    locations: &PointLocations,
) -> HttpResponse {
    if crimes.len() > MARKED_WHOLE_CRIMES || compress::negotiated(request) != Some(Coding::Gzip) {
        return self::crimes(crimes, locations);
    }
    MATCHER.with_borrow_mut(|matcher| {
        matcher.reset();
        let plain = crimes_json_marked(crimes, locations, matcher);
        if (plain.len() as u64) < SMALLEST_COMPRESSED {
            return json_body(plain);
        }
        let mut response = json_body(HintedGzip::whole(&plain, matcher.matches()));
        compress::mark_encoded(&mut response, Coding::Gzip);
        response
    })
}

/// `[outcome, …]` as `outcomes-at-location` gives them.
pub fn street_outcomes(outcomes: &[OutcomeRef<'_>]) -> HttpResponse {
    json_body(array(outcomes, |o, out| write_street_outcome(o, out)))
}

/// One outcome as `outcomes-at-location` gives it.
pub(crate) fn write_street_outcome(outcome: &OutcomeRef<'_>, out: &mut Vec<u8>) {
    let mut id = [0u8; 64];
    let record = StreetOutcome {
        category: outcome_category_of(outcome.code),
        date: year_month(outcome.month),
        person_id: None,
        crime: outcome_crime(&outcome.crime, &mut id),
    };
    write_json(&record, out);
}

/// `{crime, outcomes}` as `outcomes-for-crime` gives it.
pub fn crime_with_outcomes(crime: &CrimeRef<'_>) -> HttpResponse {
    let mut id = [0u8; 64];
    let body = CrimeWithOutcomes {
        crime: outcome_crime(crime, &mut id),
        outcomes: crime
            .outcomes()
            .map(|(month, code)| CrimeOutcome {
                category: outcome_category_of(code),
                date: year_month(month),
                person_id: None,
            })
            .collect(),
    };
    let mut out = Vec::with_capacity(1024);
    write_json(&body, &mut out);
    json_body(out)
}

fn point_location(point: &SnapPoint) -> Location<'_> {
    Location {
        latitude: Coordinate(point.latitude),
        street: Street { id: i64::from(point.id), name: &point.name },
        longitude: Coordinate(point.longitude),
    }
}

/// A stop and search as the `stops-*` routes give it.
pub fn stop<'a>(stop: &StopRef<'a>) -> Stop<'a> {
    let (outcome, outcome_id) = stop.outcome().unwrap_or(("", ""));
    Stop {
        age_range: stop.age_range(),
        officer_defined_ethnicity: stop.officer_defined_ethnicity(),
        involved_person: stop.involved_person(),
        self_defined_ethnicity: stop.self_defined_ethnicity(),
        gender: stop.gender(),
        legislation: stop.legislation(),
        outcome_linked_to_object_of_search: stop.outcome_linked_to_object_of_search(),
        datetime: UtcDateTime(stop.datetime()),
        outcome_object: StopOutcomeObject { id: outcome_id, name: outcome },
        location: stop.point.map(point_location),
        object_of_search: stop.object_of_search(),
        operation: stop.operation(),
        outcome,
        stop_type: stop.stop_type(),
        operation_name: stop.operation_name(),
        removal_of_more_than_outer_clothing: stop.removal_of_more_than_outer_clothing(),
    }
}

/// `[stop, …]`.
pub fn stops(stops: &[StopRef<'_>]) -> HttpResponse {
    json_body(array(stops, |s, out| write_json(&stop(s), out)))
}

/// An answer arriving in chunks from the thread that writes it (the custom download's zip):
/// chunks already received first, then the channel's until the writer drops its end.
pub(crate) struct ChannelBody<E> {
    /// Chunks already received, last first.
    next: Vec<Bytes>,
    receiver: tokio::sync::mpsc::Receiver<Result<Bytes, E>>,
}

impl<E> ChannelBody<E> {
    /// `received` (in order), then what `receiver` brings.
    pub(crate) fn new(
        mut received: Vec<Bytes>,
        receiver: tokio::sync::mpsc::Receiver<Result<Bytes, E>>,
    ) -> Self {
        received.reverse();
        ChannelBody { next: received, receiver }
    }
}

impl<E: Into<Box<dyn std::error::Error>>> MessageBody for ChannelBody<E> {
    type Error = E;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        if let Some(chunk) = this.next.pop() {
            return Poll::Ready(Some(Ok(chunk)));
        }
        this.receiver.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use police_index::crimes::{CrimeInput, IndexBuilder, LocationType, OutcomeInput};
    use police_index::spatial::Area;
    use police_openapi::{Crime, OutcomeStatus};

    use super::*;

    /// A crime as the wire type: the reference the hand-written writer must match.
    fn crime<'a>(crime: &CrimeRef<'a>, id_buffer: &'a mut [u8; 64]) -> Crime<'a> {
        let (location, location_type, location_subtype) = location(crime);
        Crime {
            category: crime.category_slug(),
            persistent_id: crime.persistent_id(id_buffer),
            location_subtype,
            id: i64::from(crime.record.id),
            location,
            context: crime.context(),
            month: year_month(crime.month),
            location_type,
            outcome_status: crime
                .outcome_status()
                .map(|(category, month)| OutcomeStatus { category, date: year_month(month) }),
        }
    }

    /// The hand-written crime list equals serde's serialisation of the wire type, for crimes
    /// with and without locations, ids, outcomes and contexts, and with text that needs
    /// escaping everywhere text can come from the data.
    #[test]
    fn crime_lists_are_written_exactly_as_serde_writes_them() {
        let mut builder = IndexBuilder::new();
        let names = ["On or near Campbell Street", "On or near \"The\" Arcade\\", "Café\n漢字"];
        for i in 0..60 {
            builder.add_point(SnapPoint {
                id: 1000 + i,
                latitude: 51.5 + f64::from(i) * 0.000_123_456_7,
                longitude: -0.000_000_3 - f64::from(i) * 0.013_579,
                name: names[i as usize % names.len()].into(),
                location_type: if i % 7 == 0 { LocationType::Btp } else { LocationType::Force },
                subtype: if i % 7 == 0 { "Station \"Main\"".into() } else { "".into() },
            });
        }
        let month = Month::new(2024, 3).unwrap();
        let hex_ids: Vec<String> = (0..400).map(|i| format!("{:064x}", 7_919 * (i + 1))).collect();
        for i in 0..400u32 {
            let persistent_id = match i % 5 {
                0 => None,
                1 => Some("NOT-HEX \"id\""),
                _ => Some(hex_ids[i as usize].as_str()),
            };
            builder
                .add_crime(CrimeInput {
                    id: i64::from(i) * 1_000_003,
                    month,
                    force_id: "surrey",
                    persistent_id,
                    location_id: (i % 11 != 0).then_some(1000 + (i % 60) as i32),
                    category: (i % 14) as u8,
                    last_outcome: (i % 3 != 0).then_some("Under \"investigation\""),
                    context: if i % 13 == 0 { "Context\twith \\ escapes" } else { "" },
                    lsoa_code: None,
                    lsoa_name: None,
                })
                .unwrap();
            if i % 6 == 2 {
                builder
                    .add_outcome(OutcomeInput {
                        month: month.plus(2).unwrap(),
                        persistent_id: &hex_ids[i as usize],
                        location_id: None,
                        code: 3,
                    })
                    .unwrap();
            }
        }
        let index = builder.build().unwrap();
        let everywhere = Area::Circle { lat: 51.5, lng: -0.4, radius_m: 100_000.0 };
        let mut crimes = index.crimes_in_area(month, &everywhere, None, None).unwrap();
        crimes.extend(index.crimes_without_location(month, "surrey", None));
        assert!(crimes.len() > 350, "{} crimes", crimes.len());
        assert!(crimes.iter().any(|c| c.point.is_none()));
        assert!(crimes.iter().any(|c| c.outcome_status().is_some_and(|(_, m)| m != month)));

        let locations = PointLocations::new(&index);
        let written = String::from_utf8(crimes_json(&crimes, &locations)).unwrap();
        let mut buffers = vec![[0u8; 64]; crimes.len()];
        let expected: Vec<Crime<'_>> =
            crimes.iter().zip(buffers.iter_mut()).map(|(c, buffer)| crime(c, buffer)).collect();
        assert_eq!(written, serde_json::to_string(&expected).unwrap());
        assert_eq!(crimes_json(&[], &locations), b"[]");
    }
}
