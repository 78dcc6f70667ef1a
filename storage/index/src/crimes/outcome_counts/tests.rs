//! Outcome counts against brute force over the rows of the crime index's test data sets
//! (see `crimes::tests`), with varied last outcomes (published names, their variants,
//! unknown names, none) and outcomes placed apart from their crimes.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::crimes::tests::{lsoa_of, outcome_input, random_data, scope_spec, Data};
use crate::crimes::{CrimeInput, IndexBuilder};
use crate::reference::crime_category;
use crate::testing::check;
use police_generate::rng::Rng;

/// Names a street CSV may give as the last outcome, with the slug each is counted under.
const NAMED: [(Option<&str>, &str); 9] = [
    (None, "none"),
    (Some("Under investigation"), "under-investigation"),
    (Some("Investigation complete; no suspect identified"), "no-further-action"),
    (Some("Unable to prosecute suspect"), "unable-to-prosecute"),
    // Published variants of "Offender given a penalty notice" and "… a caution".
    (Some("Offender given penalty notice"), "penalty-notice-issued"),
    (Some("Offender cautioned"), "cautioned"),
    (Some("Suspect charged"), "charged"),
    (Some("Abducted by aliens"), "other"),
    (Some("Status update unavailable"), "status-update-unavailable"),
];

/// How many distinct unknown names some crimes carry: more than a byte of the name pool holds,
/// so some last outcomes live in the index's side table.
const UNKNOWN_NAMES: u32 = 300;

/// The last outcome of a crime (by id) and the slug it is counted under.
fn last_outcome(id: u32) -> (Option<String>, &'static str) {
    if id.is_multiple_of(7) {
        return (Some(format!("Unknown outcome {}", id % UNKNOWN_NAMES)), "other");
    }
    if id.is_multiple_of(11) {
        let category = OUTCOME_CATEGORIES[(id / 11) as usize % OUTCOME_CATEGORIES.len()];
        return (Some(category.name.to_owned()), category.code);
    }
    let (name, slug) = NAMED[id as usize % NAMED.len()];
    (name.map(str::to_owned), slug)
}

/// The position of a slug among the last-outcome kinds, found by name.
fn kind_of_slug(slug: &str) -> usize {
    (0..LAST_OUTCOME_KINDS).find(|&k| last_outcome_slug(k) == slug).expect("a known slug")
}

/// The data set of seed `seed` with a third of the outcomes moved to another snap point or
/// to none.
fn data(seed: u64) -> Data {
    let mut data = random_data(seed);
    let mut rng = Rng::new(seed + 100);
    for outcome in &mut data.outcomes {
        if rng.chance(0.3) {
            outcome.2 = (!rng.chance(0.2)).then(|| rng.index(data.points.len()));
        }
    }
    data
}

/// The index of `data`, every crime given [`last_outcome`].
fn build(data: &Data) -> CrimeIndex {
    let mut builder = IndexBuilder::new();
    for point in &data.points {
        builder.add_point(point.clone());
    }
    let names: Vec<Option<String>> = data.crimes.iter().map(|c| last_outcome(c.0).0).collect();
    for (crime, name) in data.crimes.iter().zip(&names) {
        let (id, month, point, category, force, persistent) = crime;
        builder
            .add_crime(CrimeInput {
                id: i64::from(*id),
                month: *month,
                force_id: force,
                persistent_id: persistent.as_deref(),
                location_id: point.map(|p| data.points[p].id),
                category: *category,
                last_outcome: name.as_deref(),
                context: "",
                lsoa_code: lsoa_of(*id),
                lsoa_name: None,
            })
            .unwrap();
    }
    for outcome in &data.outcomes {
        builder.add_outcome(outcome_input(data, outcome)).unwrap();
    }
    let index = builder.build().unwrap();
    assert_eq!(index.outcome_count(), data.outcomes.len(), "every outcome has its crime");
    index
}

#[test]
fn names_map_to_outcome_categories_none_and_other() {
    for (code, category) in OUTCOME_CATEGORIES.iter().enumerate() {
        assert_eq!(last_outcome_kind(Some(category.name)), code);
        assert_eq!(last_outcome_slug(code), category.code);
    }
    for (name, slug) in NAMED {
        assert_eq!(last_outcome_slug(last_outcome_kind(name)), slug, "{name:?}");
    }
    assert_eq!(last_outcome_kind(Some("")), NO_LAST_OUTCOME);
    let slugs: BTreeSet<&str> = (0..LAST_OUTCOME_KINDS).map(last_outcome_slug).collect();
    assert_eq!(slugs.len(), LAST_OUTCOME_KINDS, "slugs are distinct");
}

#[test]
fn outcome_counts_equal_brute_force_over_the_rows() {
    let mut data = data(11);
    // Leave out the outcomes recorded in 2024-03: a month the index holds no outcomes for.
    let gap = Month::new(2024, 3).unwrap();
    data.outcomes.retain(|o| o.0 != gap);
    let index = build(&data);
    let held: BTreeSet<Month> = data.outcomes.iter().map(|o| o.0).collect();
    assert!(!held.contains(&gap) && held.len() >= 4, "{held:?}");
    let categories = proptest::sample::subsequence(
        (0..CATEGORY_COUNT as u8).collect::<Vec<_>>(),
        0..=CATEGORY_COUNT,
    );
    // Periods from 2023-11 to 2024-08: months before, inside, between and after the data.
    check(300, (scope_spec(), 0..10i32, 0..10i32, categories), |(spec, from, to, categories)| {
        let first = Month::new(2023, 11).unwrap();
        let (from, to) = (first.plus(from).unwrap(), first.plus(to).unwrap());
        let area = spec.area(&data);
        let expected: Vec<MonthOutcomeCounts> = Month::range(from, to)
            .map(|month| {
                let counts = held.contains(&month).then(|| {
                    let mut counts = [0u64; OUTCOME_CATEGORY_COUNT];
                    for (m, crime, point, code) in &data.outcomes {
                        let (id, _, _, category, force, _) = &data.crimes[*crime];
                        if *m == month
                            && categories.contains(category)
                            && spec.holds(&area, &data, *id, force, *point)
                        {
                            counts[*code as usize] += 1;
                        }
                    }
                    counts
                });
                MonthOutcomeCounts { month, counts }
            })
            .collect();
        let got = index.outcome_counts(from, to, spec.scope(&area), &categories);
        prop_assert_eq!(got, expected, "{:?} {} {} {:?}", spec, from, to, categories);
        Ok(())
    });
}

#[test]
fn last_outcome_counts_equal_brute_force_over_the_rows() {
    let mut data = data(12);
    // Leave out the crimes of 2024-03 (and their outcomes): a month the index does not hold.
    let gap = Month::new(2024, 3).unwrap();
    data.outcomes.retain(|o| data.crimes[o.1].1 != gap);
    let kept: Vec<bool> = data.crimes.iter().map(|c| c.1 != gap).collect();
    let mut new_positions = Vec::new();
    let mut next = 0;
    for &keep in &kept {
        new_positions.push(next);
        next += usize::from(keep);
    }
    data.crimes.retain(|c| c.1 != gap);
    for outcome in &mut data.outcomes {
        outcome.1 = new_positions[outcome.1];
    }
    let index = build(&data);
    let held: BTreeSet<Month> = data.crimes.iter().map(|c| c.1).collect();
    assert_eq!(held.len(), 3);
    // The names in the side table (pool positions past a byte) are counted too.
    assert!(data.crimes.iter().any(|c| c.0.is_multiple_of(7) && c.0 % UNKNOWN_NAMES > 280));
    check(300, (scope_spec(), 0..8i32, 0..8i32), |(spec, from, to)| {
        let first = Month::new(2023, 11).unwrap();
        let (from, to) = (first.plus(from).unwrap(), first.plus(to).unwrap());
        let area = spec.area(&data);
        let expected: Vec<MonthLastOutcomes> = Month::range(from, to)
            .map(|month| {
                let counts = held.contains(&month).then(|| {
                    let mut counts = Box::new([[0u64; LAST_OUTCOME_KINDS]; CATEGORY_COUNT]);
                    for (id, m, point, category, force, _) in &data.crimes {
                        if *m == month && spec.holds(&area, &data, *id, force, *point) {
                            let kind = kind_of_slug(last_outcome(*id).1);
                            counts[*category as usize][kind] += 1;
                        }
                    }
                    counts
                });
                MonthLastOutcomes { month, counts }
            })
            .collect();
        let got = index.last_outcome_counts(from, to, spec.scope(&area));
        // Whole months compared, so a failure names the month rather than dumping 450 counts.
        prop_assert_eq!(got.len(), expected.len());
        for (got, expected) in got.iter().zip(&expected) {
            prop_assert_eq!(got.month, expected.month);
            prop_assert_eq!(got.counts.is_some(), expected.counts.is_some(), "{}", got.month);
            let month = got.month;
            if let (Some(got), Some(expected)) = (&got.counts, &expected.counts) {
                for (category, (got, expected)) in got.iter().zip(expected.iter()).enumerate() {
                    let slug = crime_category(category as u8).slug;
                    prop_assert_eq!(got, expected, "{:?} {} {}", spec, month, slug);
                }
            }
        }
        Ok(())
    });
}
