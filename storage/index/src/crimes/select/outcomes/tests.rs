//! Outcome walks: the unpaged walk against brute force over the rows, paged walks against
//! the unpaged walk, resuming from any position, and positions independent of load order.

use std::ops::ControlFlow;

use proptest::collection::vec;
use proptest::prelude::*;

use crate::crimes::tests::{build, page_through, random_data, scope_spec, Data};
use crate::crimes::{CountScope, CrimeIndex, Selection, WalkPosition};
use crate::testing::check;
use crate::Month;
use police_generate::rng::Rng;

/// The data set of `seed` with a third of the outcomes mapped apart from their crimes (to
/// another snap point, or none), and no outcome recorded in 2024-03: a month the index holds
/// no outcomes for.
fn outcome_data(seed: u64) -> Data {
    let mut data = random_data(seed);
    let mut rng = Rng::new(seed + 100);
    for outcome in &mut data.outcomes {
        if rng.chance(0.33) {
            outcome.2 = (!rng.chance(0.2)).then(|| rng.index(data.points.len()));
        }
    }
    data.outcomes.retain(|o| o.0 != Month::new(2024, 3).unwrap());
    data
}

/// (month, position, crime id, code) of every selected outcome from `from` to `to`, one month
/// at a time through `visit_selected_outcomes_from` from the start of each month.
fn unpaged(
    index: &CrimeIndex,
    from: Month,
    to: Month,
    selection: &Selection,
) -> Vec<(Month, u32, u32, u8)> {
    let mut all = Vec::new();
    for month in Month::range(from, to) {
        index.walk_selected_outcomes(WalkPosition::start_of(month), month, selection, |o| {
            all.push((month, o.position, o.outcome.crime.record.id, o.outcome.code));
            ControlFlow::Continue(())
        });
    }
    all
}

#[test]
fn paged_outcome_walks_equal_the_unpaged_walk_and_brute_force() {
    let data = outcome_data(21);
    let index = build(&data);
    assert_eq!(index.outcome_month_positions(Month::new(2024, 3).unwrap()), None);
    let pages = vec(1..300usize, 1..30);
    check(200, (scope_spec(), 0..8i32, 0..8i32, pages), |(spec, from, to, pages)| {
        let first = Month::new(2023, 12).unwrap();
        let (from, to) = (first.plus(from).unwrap(), first.plus(to).unwrap());
        let area = spec.area(&data);
        let selection = index.select(spec.scope(&area));
        let expected = unpaged(&index, from, to, &selection);

        // Brute force: an area takes the outcomes mapped inside it; a force or an LSOA, the
        // outcomes of its crimes.
        let mut brute: Vec<(Month, u32, u8)> = data
            .outcomes
            .iter()
            .filter(|(month, crime, point, _)| {
                let crime = &data.crimes[*crime];
                from <= *month && *month <= to && spec.holds(&area, &data, crime.0, crime.4, *point)
            })
            .map(|&(month, crime, _, code)| (month, data.crimes[crime].0, code))
            .collect();
        brute.sort_unstable();
        let mut got: Vec<(Month, u32, u8)> =
            expected.iter().map(|&(m, _, id, code)| (m, id, code)).collect();
        got.sort_unstable();
        prop_assert_eq!(&got, &brute);
        for pair in expected.windows(2) {
            prop_assert!(pair[0].0 < pair[1].0 || pair[0].1 < pair[1].1, "{:?}", pair);
        }
        // The counting walk visits the same outcomes.
        let mut counted = 0;
        for month in Month::range(from, to) {
            index.visit_selected_outcomes(month, &selection, |_, _, _| counted += 1);
        }
        prop_assert_eq!(counted, expected.len());

        // Pages of the given sizes (cycled), each resumed where the last stopped.
        // A walk's positions count from the month's first outcome.
        let position = |&(month, position, _, _): &(Month, u32, u32, u8)| {
            let start = index.outcome_month_positions(month).map_or(0, |positions| positions.start);
            WalkPosition { month, position: position - start }
        };
        let paged = page_through(from, &pages, position, |resume, push| {
            index.walk_selected_outcomes(resume, to, &selection, |o| {
                push((o.outcome.month, o.position, o.outcome.crime.record.id, o.outcome.code))
            })
        })?;
        prop_assert_eq!(&paged, &expected);
        Ok(())
    });
}

/// Resuming a month's outcome walk from any position gives the whole walk's outcomes from
/// there on, at the snap points they were mapped to.
#[test]
fn outcome_walks_resume_from_any_position() {
    let data = outcome_data(22);
    let index = build(&data);
    let month = Month::new(2024, 2).unwrap();
    let positions = index.outcome_month_positions(month).unwrap();
    let cases = (scope_spec(), vec(positions.start..positions.end + 3, 1..20));
    check(200, cases, |(spec, starts)| {
        let area = spec.area(&data);
        let selection = index.select(spec.scope(&area));
        let mut all = Vec::new();
        index.visit_selected_outcomes_from(month, &selection, 0, |position, point, crime| {
            all.push((position, point, crime));
            ControlFlow::Continue(())
        });
        for start in starts {
            let mut resumed = Vec::new();
            let stopped =
                index.visit_selected_outcomes_from(month, &selection, start, |p, point, crime| {
                    resumed.push((p, point, crime));
                    ControlFlow::Continue(())
                });
            prop_assert_eq!(stopped, None);
            let expected: Vec<_> = all.iter().copied().filter(|(p, _, _)| *p >= start).collect();
            prop_assert_eq!(&resumed, &expected, "from {}", start);
            if let Some(&(middle, _, _)) = expected.get(expected.len() / 2) {
                let stopped =
                    index.visit_selected_outcomes_from(month, &selection, start, |p, _, _| {
                        if p == middle {
                            ControlFlow::Break(())
                        } else {
                            ControlFlow::Continue(())
                        }
                    });
                prop_assert_eq!(stopped, Some(middle));
            }
        }
        Ok(())
    });
}

/// The same rows added in another order are walked at the same outcome positions.
#[test]
fn outcome_positions_do_not_depend_on_the_load_order() {
    let data = outcome_data(23);
    let index = build(&data);
    let mut reordered = outcome_data(23);
    // Crimes reversed (outcomes follow their crimes' new indexes), outcomes reversed.
    let count = reordered.crimes.len();
    reordered.crimes.reverse();
    for outcome in &mut reordered.outcomes {
        outcome.1 = count - 1 - outcome.1;
    }
    reordered.outcomes.reverse();
    let walk = |index: &CrimeIndex| {
        let mut seen = Vec::new();
        index.walk_selected_outcomes(
            WalkPosition::start_of(Month::new(2024, 1).unwrap()),
            Month::new(2024, 6).unwrap(),
            &index.select(CountScope::National),
            |o| {
                let point = o.point.map(|p| p.id);
                seen.push((
                    o.outcome.month,
                    o.position,
                    o.outcome.crime.record.id,
                    o.outcome.code,
                    point,
                ));
                ControlFlow::Continue(())
            },
        );
        seen
    };
    let (first, second) = (walk(&index), walk(&build(&reordered)));
    assert_eq!(first.len(), data.outcomes.len());
    assert_eq!(first, second);
}
