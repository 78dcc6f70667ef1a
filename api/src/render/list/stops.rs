//! The stops of `/api/v2/stops`: police.uk's stop record, GeoJSON features at the stop's
//! location, and police.uk's bulk stop-and-search CSV.

use std::io::Write;
use std::ops::ControlFlow;

use police_index::crimes::WalkPosition;
use police_index::stops::{StopRef, StopSelection};
use police_index::Month;
use police_openapi::UtcDateTime;
use police_store::import::FileKind;

use super::{feature, ListWalk, RecordSink};
use crate::json_writer;
use crate::params::ListFormat;
use crate::state::Served;
use police_index::csv;

/// The stops of `/api/v2/stops`: a selection's stops up to `to`.
#[derive(Debug)]
pub struct StopListWalk {
    /// The area's stops.
    pub selection: StopSelection,
    /// The last month of the period.
    pub to: Month,
}

impl ListWalk for StopListWalk {
    type Position = WalkPosition;
    const JSON_MEMBER: &'static str = "stops";
    const CSV_KIND: FileKind = FileKind::StopAndSearch;

    fn walk(
        &self,
        served: &Served,
        at: WalkPosition,
        sink: &mut RecordSink<'_>,
    ) -> Option<WalkPosition> {
        served.stops.walk_selected(&served.index, at, self.to, &self.selection, |stop| {
            if !sink.look() || !sink.begin() {
                return ControlFlow::Break(());
            }
            match sink.format {
                ListFormat::Json => write_stop(&stop, sink.out),
                ListFormat::GeoJson => {
                    let position = stop.point.map(|p| (p.longitude, p.latitude));
                    feature(position, sink.out, |out| write_stop(&stop, out))
                }
                ListFormat::Csv => stop_csv(&stop, sink.out),
            }
            ControlFlow::Continue(())
        })
    }
}

/// A stop as police.uk's `stops-street` record.
fn write_stop(stop: &StopRef<'_>, out: &mut Vec<u8>) {
    crate::render::write_json(&crate::render::stop(stop), out);
}

/// `True`, `False` or nothing, as police.uk's stop-and-search CSVs write a boolean.
fn csv_bool(value: Option<bool>, out: &mut Vec<u8>) {
    match value {
        Some(true) => out.extend_from_slice(b"True"),
        Some(false) => out.extend_from_slice(b"False"),
        None => {}
    }
}

/// A stop as a row of police.uk's stop-and-search CSV (`Latitude` before `Longitude`, as
/// there; no location: both empty).
fn stop_csv(stop: &StopRef<'_>, out: &mut Vec<u8>) {
    csv::field(stop.stop_type().unwrap_or(""), out);
    csv::separator(out);
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{}", UtcDateTime(stop.datetime()));
    csv::separator(out);
    csv_bool(stop.operation(), out);
    csv::separator(out);
    csv::field(stop.operation_name().unwrap_or(""), out);
    csv::separator(out);
    if let Some(point) = stop.point {
        json_writer::bare_coordinate(point.latitude, out);
        csv::separator(out);
        json_writer::bare_coordinate(point.longitude, out);
    } else {
        csv::separator(out);
    }
    for text in [
        stop.gender(),
        stop.age_range(),
        stop.self_defined_ethnicity(),
        stop.officer_defined_ethnicity(),
        stop.legislation(),
        stop.object_of_search(),
        stop.outcome().map(|(name, _)| name),
    ] {
        csv::separator(out);
        csv::field(text.unwrap_or(""), out);
    }
    csv::separator(out);
    csv_bool(stop.outcome_linked_to_object_of_search(), out);
    csv::separator(out);
    csv_bool(stop.removal_of_more_than_outer_clothing(), out);
    csv::end_record(out);
}
