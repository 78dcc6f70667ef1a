//! Writing police.uk's JSON straight from index records: compact, in police.uk's key order
//! (the wire types in `police-openapi` fix it), one record at a time.

use actix_web::HttpResponse;
use police_openapi::{
    Coordinate, Crime, CrimeOutcome, CrimeWithOutcomes, Location, OutcomeCategory, OutcomeCrime,
    OutcomeStatus, Stop, StopOutcomeObject, Street, StreetOutcome, UtcDateTime, YearMonth,
};
use police_storage::index::{CrimeRef, OutcomeRef, SnapPoint, StopRef};
use police_storage::reference::outcome_category;
use police_storage::Month;
use serde::Serialize;

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

/// A crime as `crimes-street` and friends give it.
pub fn crime<'a>(crime: &CrimeRef<'a>, id_buffer: &'a mut [u8; 64]) -> Crime<'a> {
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

fn write_json(value: &impl Serialize, out: &mut Vec<u8>) {
    serde_json::to_writer(out, value).expect("serialising to memory cannot fail");
}

/// `[crime, …]` as JSON bytes.
pub fn crimes_json(crimes: &[CrimeRef<'_>]) -> Vec<u8> {
    array(crimes, |c, out| {
        let mut id = [0u8; 64];
        write_json(&crime(c, &mut id), out);
    })
}

/// `[crime, …]`.
pub fn crimes(crimes: &[CrimeRef<'_>]) -> HttpResponse {
    json_body(crimes_json(crimes))
}

/// `[outcome, …]` as `outcomes-at-location` gives them.
pub fn street_outcomes(outcomes: &[OutcomeRef<'_>]) -> HttpResponse {
    json_body(array(outcomes, |o, out| {
        let mut id = [0u8; 64];
        let record = StreetOutcome {
            category: outcome_category_of(o.code),
            date: year_month(o.month),
            person_id: None,
            crime: outcome_crime(&o.crime, &mut id),
        };
        write_json(&record, out);
    }))
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
