//! Stop positions against load order, and paged walks against the unpaged walk and brute
//! force over the rows.

use std::ops::ControlFlow;

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;
use crate::crimes::{IndexBuilder, LocationType, SnapPoint};
use crate::spatial::Area;
use crate::stops::{StopIndexBuilder, StopInput};
use crate::testing::check;

const FORCES: [&str; 3] = ["metropolitan", "city-of-london", "btp"];
const GENDERS: [&str; 2] = ["Male", "Female"];
const OUTCOMES: [&str; 3] = ["Arrest", "A no further action disposal", "Community resolution"];

/// A generated stop: month (0..6, 2024-01 on; 2024-03 never), force, minute, snap point
/// (index into the points, or none), gender and outcome (0: none), the link flag.
type Row = (i32, usize, i64, Option<usize>, usize, usize, Option<bool>);

fn rows() -> impl Strategy<Value = Vec<Row>> {
    let row = (
        (0..6i32).prop_map(|m| if m == 2 { 3 } else { m }),
        0..FORCES.len(),
        0..30i64,
        proptest::option::weighted(0.8, 0..40usize),
        0..=GENDERS.len(),
        0..=OUTCOMES.len(),
        proptest::option::of(any::<bool>()),
    );
    vec(row, 0..600)
}

/// 40 snap points around (51.5, -0.1), ids 100, 103, …
fn crime_index() -> CrimeIndex {
    let mut builder = IndexBuilder::new();
    for i in 0..40 {
        builder.add_point(SnapPoint {
            id: 100 + 3 * i,
            latitude: 51.5 + f64::from(i % 7) * 0.004,
            longitude: -0.1 + f64::from(i / 7) * 0.006,
            name: format!("On or near Street {i}").into(),
            location_type: LocationType::Force,
            subtype: "".into(),
        });
    }
    builder.build().unwrap()
}

fn month(m: i32) -> Month {
    Month::new(2024, 1).unwrap().plus(m).unwrap()
}

fn stop_index(crimes: &CrimeIndex, rows: &[Row]) -> StopIndex {
    let mut builder = StopIndexBuilder::new();
    for &(m, force, minute, point, gender, outcome, linked) in rows {
        builder
            .add_stop(StopInput {
                month: Some(month(m)),
                force_id: FORCES[force],
                stop_type: Some("Person search"),
                datetime: 1_704_067_200 + minute * 3600,
                location_id: point.map(|p| 100 + 3 * p as i32),
                gender: gender.checked_sub(1).map(|g| GENDERS[g]),
                outcome: outcome.checked_sub(1).map(|o| OUTCOMES[o]),
                outcome_linked_to_object_of_search: linked,
                ..StopInput::default()
            })
            .unwrap();
    }
    builder.build(crimes).unwrap()
}

/// What a stop says, as a comparable tuple.
type Seen = (Month, String, i64, Option<i32>, Option<String>, Option<String>, Option<bool>);

fn seen(stop: &StopRef<'_>) -> Seen {
    (
        stop.month,
        stop.force_id().to_owned(),
        stop.datetime(),
        stop.point.map(|p| p.id),
        stop.gender().map(str::to_owned),
        stop.outcome().map(|(name, _)| name.to_owned()),
        stop.outcome_linked_to_object_of_search(),
    )
}

fn seen_row(row: &Row) -> Seen {
    let &(m, force, minute, point, gender, outcome, linked) = row;
    (
        month(m),
        FORCES[force].to_owned(),
        1_704_067_200 + minute * 3600,
        point.map(|p| 100 + 3 * p as i32),
        gender.checked_sub(1).map(|g| GENDERS[g].to_owned()),
        outcome.checked_sub(1).map(|o| OUTCOMES[o].to_owned()),
        linked,
    )
}

#[test]
fn positions_do_not_depend_on_load_order() {
    let crimes = crime_index();
    let cases = (rows(), any::<u64>());
    check(64, cases, |(rows, seed)| {
        let mut shuffled = rows.clone();
        // A Fisher-Yates shuffle from the seed (a linear congruential generator).
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        let (a, b) = (stop_index(&crimes, &rows), stop_index(&crimes, &shuffled));
        let all = |index: &StopIndex| {
            let selection = index.select(&crimes, CountScope::National).unwrap();
            let mut stops = Vec::new();
            index.walk_selected(
                &crimes,
                WalkPosition::start_of(month(0)),
                month(5),
                &selection,
                |stop| {
                    stops.push((stop.position, seen(&stop)));
                    ControlFlow::Continue(())
                },
            );
            stops
        };
        prop_assert_eq!(all(&a), all(&b));
        for force in FORCES {
            for m in 0..6 {
                let of_force = |index: &StopIndex| {
                    let s = index.select(&crimes, CountScope::Force(force)).unwrap();
                    let mut positions = Vec::new();
                    index.visit_selected_from(&crimes, month(m), &s, 0, |stop| {
                        positions.push(stop.position);
                        ControlFlow::Continue(())
                    });
                    positions
                };
                prop_assert_eq!(of_force(&a), of_force(&b));
            }
        }
        Ok(())
    });
}

#[derive(Debug, Clone)]
enum ScopeSpec {
    National,
    Force(&'static str),
    Circle(f64, f64, f64),
}

fn scope_spec() -> impl Strategy<Value = ScopeSpec> {
    prop_oneof![
        Just(ScopeSpec::National),
        proptest::sample::select(vec!["metropolitan", "city-of-london", "btp", "kent"])
            .prop_map(ScopeSpec::Force),
        (51.49..51.53f64, -0.11..-0.06f64, 100.0..2_500.0f64)
            .prop_map(|(lat, lng, r)| ScopeSpec::Circle(lat, lng, r)),
    ]
}

#[test]
fn paged_walks_equal_the_unpaged_walk_and_brute_force() {
    let crimes = crime_index();
    let pages = vec(1..50usize, 1..30);
    let cases = (rows(), scope_spec(), 0..6i32, 0..6i32, pages);
    check(200, cases, |(rows, spec, from, to, pages)| {
        let index = stop_index(&crimes, &rows);
        let (from, to) = (from.min(to), from.max(to));
        let area = match spec {
            ScopeSpec::Circle(lat, lng, radius_m) => Some(Area::Circle { lat, lng, radius_m }),
            _ => None,
        };
        let scope = match (&spec, &area) {
            (ScopeSpec::Force(force), _) => CountScope::Force(force),
            (_, Some(area)) => CountScope::Area(area),
            _ => CountScope::National,
        };
        let selection = index.select(&crimes, scope).unwrap();

        // Unpaged: one month at a time, from each month's start.
        let mut unpaged = Vec::new();
        for m in from..=to {
            index.visit_selected_from(&crimes, month(m), &selection, 0, |stop| {
                unpaged.push((stop.month, stop.position, seen(&stop)));
                ControlFlow::Continue(())
            });
        }
        for pair in unpaged.windows(2) {
            prop_assert!((pair[0].0, pair[0].1) < (pair[1].0, pair[1].1), "in position order");
        }

        // Brute force: the rows the scope names, as a multiset.
        let point_of = |p: usize| {
            let point = crimes.point(crimes.point_by_id(100 + 3 * p as i32).unwrap());
            (point.latitude, point.longitude)
        };
        let mut expected: Vec<Seen> = rows
            .iter()
            .filter(|r| (from..=to).contains(&r.0))
            .filter(|r| match &spec {
                ScopeSpec::National => true,
                ScopeSpec::Force(force) => FORCES[r.1] == *force,
                ScopeSpec::Circle(..) => r.3.is_some_and(|p| {
                    let (lat, lng) = point_of(p);
                    area.as_ref().unwrap().contains(lat, lng)
                }),
            })
            .map(seen_row)
            .collect();
        expected.sort();
        let mut got: Vec<Seen> = unpaged.iter().map(|s| s.2.clone()).collect();
        got.sort();
        prop_assert_eq!(got, expected);

        // Paged: pages of the sizes drawn (the last one repeated), each resumed from where
        // the one before stopped.
        let mut paged = Vec::new();
        let mut at = Some(WalkPosition::start_of(month(from)));
        let mut page = 0;
        while let Some(start) = at {
            let size = pages[page.min(pages.len() - 1)];
            page += 1;
            let mut taken = 0;
            at = index.walk_selected(&crimes, start, month(to), &selection, |stop| {
                if taken == size {
                    return ControlFlow::Break(());
                }
                taken += 1;
                paged.push((stop.month, stop.position, seen(&stop)));
                ControlFlow::Continue(())
            });
            prop_assert!(at.is_none() || taken == size, "a page stops only when full");
        }
        prop_assert_eq!(paged, unpaged);
        Ok(())
    });
}
