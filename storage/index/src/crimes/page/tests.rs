//! Paged walks against the unpaged walk and brute force over the rows.

use std::ops::ControlFlow;

use proptest::collection::vec;
use proptest::prelude::*;

use super::super::tests::{build, page_through, random_data, scope_spec, Crime};
use super::*;
use crate::crimes::{CountScope, LAST_OUTCOME_KINDS, NO_LAST_OUTCOME};
use crate::testing::check;

/// Every selected crime's (month, position, id) from `from` to `to`, one month at a time
/// through `visit_selected`, kept by `filter`.
fn unpaged(
    index: &CrimeIndex,
    from: Month,
    to: Month,
    selection: &Selection,
    filter: &CrimeFilter,
) -> Vec<(Month, u32, u32)> {
    let mut all = Vec::new();
    for month in Month::range(from, to) {
        index.visit_selected(month, selection, |_, crime| {
            if filter.matches(&crime) {
                all.push((month, crime.position, crime.record.id));
            }
        });
    }
    all
}

#[test]
fn paged_walks_equal_the_unpaged_walk_and_brute_force() {
    let mut data = random_data(11);
    // A month left out: walks cross a month the index does not hold.
    let gap = Month::new(2024, 3).unwrap();
    data.crimes.retain(|c| c.1 != gap);
    data.outcomes.clear();
    let index = build(&data);
    let categories = vec(0..15u8, 0..6);
    let last_outcomes = proptest::option::of(vec(0..LAST_OUTCOME_KINDS, 1..4));
    let has_id = proptest::option::of(any::<bool>());
    let pages = vec(1..400usize, 1..40);
    let cases = (scope_spec(), 0..7i32, 0..7i32, (categories, last_outcomes, has_id), pages);
    check(200, cases, |(spec, from, to, (categories, last_outcomes, has_id), pages)| {
        let first = Month::new(2023, 12).unwrap();
        let (from, to) = (first.plus(from).unwrap(), first.plus(to).unwrap());
        let area = spec.area(&data);
        let scope = spec.scope(&area);
        let categories = if categories.is_empty() { (0..15).collect() } else { categories };
        let selection = index.select(scope);
        let filter = index.crime_filter(&categories, last_outcomes.as_deref(), has_id);
        let expected = unpaged(&index, from, to, &selection, &filter);

        // Brute force: the same crimes (by id) from the rows.
        let inside =
            |(id, _, point, _, force, _): &Crime| spec.holds(&area, &data, *id, force, *point);
        let kind = |c: &Crime| match c.5 {
            // The test rows give every crime with a Crime ID the last outcome "Under investigation".
            Some(_) => last_outcome_kind(Some("Under investigation")),
            None => NO_LAST_OUTCOME,
        };
        let mut brute: Vec<(Month, u32)> = data
            .crimes
            .iter()
            .filter(|c| from <= c.1 && c.1 <= to && inside(c) && categories.contains(&c.3))
            .filter(|c| last_outcomes.as_ref().is_none_or(|kinds| kinds.contains(&kind(c))))
            .filter(|c| has_id.is_none_or(|wanted| c.5.is_some() == wanted))
            .map(|c| (c.1, c.0))
            .collect();
        brute.sort_unstable();
        let mut got: Vec<(Month, u32)> = expected.iter().map(|&(m, _, id)| (m, id)).collect();
        got.sort_unstable();
        prop_assert_eq!(&got, &brute);
        // Within a month, positions strictly increase.
        for pair in expected.windows(2) {
            prop_assert!(pair[0].0 < pair[1].0 || pair[0].1 < pair[1].1, "{:?}", pair);
        }

        // Pages of the given sizes (cycled), each resumed where the last stopped.
        // A walk's positions count from the month's first record.
        let position = |&(month, position, _): &(Month, u32, u32)| {
            let start = index.month_positions(month).map_or(0, |positions| positions.start);
            WalkPosition { month, position: position - start }
        };
        let paged = page_through(from, &pages, position, |resume, push| {
            index.walk_selected(resume, to, &selection, |crime| {
                if !filter.matches(&crime) {
                    return ControlFlow::Continue(());
                }
                push((crime.month, crime.position, crime.record.id))
            })
        })?;
        prop_assert_eq!(&paged, &expected);
        Ok(())
    });
}

/// Resuming a month's walk from any position gives the unpaged walk's crimes from there on.
#[test]
fn walks_resume_from_any_position() {
    let data = random_data(12);
    let index = build(&data);
    let month = Month::new(2024, 2).unwrap();
    let positions = index.month_positions(month).unwrap();
    let cases = (scope_spec(), vec(positions.start..positions.end + 3, 1..20));
    check(200, cases, |(spec, starts)| {
        let area = spec.area(&data);
        let scope = spec.scope(&area);
        let selection = index.select(scope);
        let mut all = Vec::new();
        index.visit_selected(month, &selection, |point, crime| all.push((crime.position, point)));
        for start in starts {
            let mut resumed = Vec::new();
            let stopped =
                index.visit_selected_from(month, &selection, start, |position, point, crime| {
                    assert_eq!(position, crime.position);
                    resumed.push((position, point));
                    ControlFlow::Continue(())
                });
            prop_assert_eq!(stopped, None);
            let expected: Vec<_> = all.iter().copied().filter(|(p, _)| *p >= start).collect();
            prop_assert_eq!(&resumed, &expected, "from {}", start);
            // Breaking at the n-th crime reports its position.
            if let Some(&(middle, _)) = expected.get(expected.len() / 2) {
                let stopped =
                    index.visit_selected_from(month, &selection, start, |position, _, _| {
                        if position == middle {
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

/// The same rows added in another order (and so forces numbered in another order) are placed
/// at the same positions.
#[test]
fn record_positions_do_not_depend_on_the_load_order() {
    let mut data = random_data(13);
    data.outcomes.clear();
    let index = build(&data);
    data.crimes.reverse();
    // Put a btp crime first, then a kent one, so forces are numbered otherwise.
    let btp = data.crimes.iter().position(|c| c.4 == "btp").unwrap();
    data.crimes.swap(0, btp);
    let kent = data.crimes.iter().position(|c| c.4 == "kent").unwrap();
    data.crimes.swap(1, kent);
    let reordered = build(&data);
    let walk = |index: &CrimeIndex| {
        let selection = index.select(CountScope::National);
        let mut ids = Vec::new();
        index.walk_selected(
            WalkPosition::start_of(Month::new(2024, 1).unwrap()),
            Month::new(2024, 4).unwrap(),
            &selection,
            |crime| {
                ids.push((crime.position, crime.record.id));
                ControlFlow::Continue(())
            },
        );
        ids
    };
    let (first, second) = (walk(&index), walk(&reordered));
    assert_eq!(first.len(), data.crimes.len());
    assert_eq!(first, second);
}
