//! The outcomes of `/api/v2/outcomes`: police.uk's `outcomes-at-location` records, GeoJSON
//! features at the snap point each outcome was mapped to, and police.uk's bulk outcomes CSV.

use std::ops::ControlFlow;

use police_index::crimes::{CrimeFilter, SelectedOutcome, Selection, WalkPosition};
use police_index::reference::outcome_category;
use police_index::Month;
use police_store::import::FileKind;

use super::{crime_csv_columns, feature, ListWalk, RecordSink};
use crate::params::ListFormat;
use crate::render::write_street_outcome;
use crate::state::Served;
use police_index::csv;

/// The outcomes of `/api/v2/outcomes`: a selection's outcomes up to `to`, of the crimes a
/// filter keeps (by the crime's category).
#[derive(Debug)]
pub struct OutcomeListWalk {
    /// The area's outcomes.
    pub selection: Selection,
    /// Which crimes' outcomes are listed.
    pub filter: CrimeFilter,
    /// The last month of the period.
    pub to: Month,
}

impl ListWalk for OutcomeListWalk {
    type Position = WalkPosition;
    const JSON_MEMBER: &'static str = "outcomes";
    const CSV_KIND: FileKind = FileKind::Outcomes;

    fn walk(
        &self,
        served: &Served,
        at: WalkPosition,
        sink: &mut RecordSink<'_>,
    ) -> Option<WalkPosition> {
        served.index.walk_selected_outcomes(at, self.to, &self.selection, |selected| {
            if !sink.look() {
                return ControlFlow::Break(());
            }
            if !self.filter.matches(&selected.outcome.crime) {
                return ControlFlow::Continue(());
            }
            if !sink.begin() {
                return ControlFlow::Break(());
            }
            match sink.format {
                ListFormat::Json => write_street_outcome(&selected.outcome, sink.out),
                ListFormat::GeoJson => {
                    let position = selected.point.map(|p| (p.longitude, p.latitude));
                    feature(position, sink.out, |out| write_street_outcome(&selected.outcome, out))
                }
                ListFormat::Csv => outcome_csv(&selected, sink.out),
            }
            ControlFlow::Continue(())
        })
    }
}

/// An outcome as a row of police.uk's outcomes CSV: its crime's Crime ID, force and LSOA,
/// the outcome's month and location, and the outcome's published name.
fn outcome_csv(selected: &SelectedOutcome<'_>, out: &mut Vec<u8>) {
    let outcome = &selected.outcome;
    crime_csv_columns(&outcome.crime, outcome.month, selected.point, "No location", out);
    csv::separator(out);
    csv::field(outcome_category(outcome.code).name, out);
    csv::end_record(out);
}
