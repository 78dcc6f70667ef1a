//! Stop-and-search counts by group (`/api/v2/stops/counts`), for disproportionality
//! monitoring: the stops of an area and period counted by any of month and the stop's text
//! fields (ethnicities, age range, gender, object of search, outcome, legislation, type),
//! with, per group, how many had an outcome linked to the object of search and how many
//! ended in arrest.
//!
//! Counted in place: no list of stops is built. A stop's text fields are already small codes
//! into per-field pools, so a group is a mixed-radix number over those codes (and the month's
//! place in the period), and the tallies are one dense array of at most [`MAX_STOP_GROUPS`]
//! entries, allocated per request. The index holds nothing extra for this.

use std::ops::ControlFlow;

use super::{decode_flag, Field, StopIndex, StopRecord, LINKED_SHIFT};
use crate::crimes::{CountScope, CrimeIndex};
use crate::Month;

/// What stops can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StopDimension {
    /// The month police.uk files the stop under.
    Month,
    /// The person's self-defined ethnicity, as published.
    SelfDefinedEthnicity,
    /// The ethnicity the officer recorded, as published.
    OfficerDefinedEthnicity,
    /// The age range, as published (`under 10`, `10-17`, …).
    AgeRange,
    /// The gender, as published.
    Gender,
    /// The object of search, as published.
    ObjectOfSearch,
    /// The outcome, as published (historic names are kept apart from current ones).
    Outcome,
    /// The legislation, as published.
    Legislation,
    /// The type of search (`Person search`, `Vehicle search`, `Person and Vehicle search`).
    Type,
}

impl StopDimension {
    /// Every dimension, in the order the documentation lists them.
    pub const ALL: [StopDimension; 9] = [
        StopDimension::Month,
        StopDimension::SelfDefinedEthnicity,
        StopDimension::OfficerDefinedEthnicity,
        StopDimension::AgeRange,
        StopDimension::Gender,
        StopDimension::ObjectOfSearch,
        StopDimension::Outcome,
        StopDimension::Legislation,
        StopDimension::Type,
    ];

    /// The dimension's name on the wire: the stop's field name in police.uk's JSON
    /// (`self_defined_ethnicity`, …), and `month`.
    pub fn name(self) -> &'static str {
        match self {
            StopDimension::Month => "month",
            StopDimension::SelfDefinedEthnicity => "self_defined_ethnicity",
            StopDimension::OfficerDefinedEthnicity => "officer_defined_ethnicity",
            StopDimension::AgeRange => "age_range",
            StopDimension::Gender => "gender",
            StopDimension::ObjectOfSearch => "object_of_search",
            StopDimension::Outcome => "outcome",
            StopDimension::Legislation => "legislation",
            StopDimension::Type => "type",
        }
    }

    /// The dimension called `name` (see [`StopDimension::name`]).
    pub fn from_name(name: &str) -> Option<StopDimension> {
        StopDimension::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The pool of the text field this dimension reads; `None` for the month.
    fn field(self) -> Option<Field> {
        match self {
            StopDimension::Month => None,
            StopDimension::SelfDefinedEthnicity => Some(Field::SelfDefinedEthnicity),
            StopDimension::OfficerDefinedEthnicity => Some(Field::OfficerDefinedEthnicity),
            StopDimension::AgeRange => Some(Field::AgeRange),
            StopDimension::Gender => Some(Field::Gender),
            StopDimension::ObjectOfSearch => Some(Field::ObjectOfSearch),
            StopDimension::Outcome => Some(Field::Outcome),
            StopDimension::Legislation => Some(Field::Legislation),
            StopDimension::Type => Some(Field::Type),
        }
    }
}

/// The most dimensions one count groups by.
pub const MAX_STOP_DIMENSIONS: usize = 3;

/// The most groups one count may have: the product of the dimensions' numbers of values (the
/// months of the period; the distinct values of a field held, `null` included) must not
/// exceed it. It bounds the tally array and the answer before anything is counted.
pub const MAX_STOP_GROUPS: u64 = 10_000;

/// What is counted of a group of stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StopTally {
    /// Stops.
    pub stops: u64,
    /// Stops whose outcome was recorded as linked to the object of search.
    pub linked: u64,
    /// Stops for which the link of outcome and object of search was recorded (true or false).
    pub linked_recorded: u64,
    /// Stops ending in arrest: outcome `Arrest`, or its historic name `Suspect arrested`
    /// (both `bu-arrest`).
    pub arrests: u64,
}

impl StopTally {
    fn add(&mut self, record: &StopRecord, arrest: bool) {
        self.stops += 1;
        if let Some(linked) = decode_flag(record.flags, LINKED_SHIFT) {
            self.linked_recorded += 1;
            self.linked += u64::from(linked);
        }
        self.arrests += u64::from(arrest);
    }
}

/// One value of a group's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StopKeyValue<'a> {
    /// A month (for [`StopDimension::Month`]).
    Month(Month),
    /// A text field's value; `None` where the stop has none.
    Text(Option<&'a str>),
}

/// One group: its key (a value per dimension asked for, in that order) and its tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopGroup<'a> {
    /// The group's values, one per dimension.
    pub key: Vec<StopKeyValue<'a>>,
    /// What was counted.
    pub tally: StopTally,
}

/// The answer of [`StopIndex::stop_counts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopCounts<'a> {
    /// The months of the period the index holds no stops at all for (data missing, as
    /// opposed to a month held with no stops in the area), oldest first.
    pub missing_months: Vec<Month>,
    /// The groups with at least one stop, sorted by key (months chronologically, text
    /// values with `None` first, then by their text).
    pub groups: Vec<StopGroup<'a>>,
    /// Every stop counted.
    pub total: StopTally,
}

/// Why [`StopIndex::stop_counts`] refused to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCountsError {
    /// More than [`MAX_STOP_DIMENSIONS`] dimensions.
    TooManyDimensions(usize),
    /// The dimensions could give more than [`MAX_STOP_GROUPS`] groups (the bound is given).
    TooManyGroups(u64),
    /// An LSOA scope: police.uk's stop-and-search files give no LSOA.
    NoLsoa,
}

impl StopIndex {
    /// Stops from `from` to `to` (inclusive) in `scope`, grouped by `by` (no dimension: one
    /// group of every stop, when there is one). A circle or polygon counts the stops mapped
    /// to a snap point inside it (as `stops-street` lists them); a force its stops with or
    /// without a location; national every stop.
    pub fn stop_counts<'a>(
        &'a self,
        points: &CrimeIndex,
        from: Month,
        to: Month,
        scope: CountScope<'_>,
        by: &[StopDimension],
    ) -> Result<StopCounts<'a>, StopCountsError> {
        if by.len() > MAX_STOP_DIMENSIONS {
            return Err(StopCountsError::TooManyDimensions(by.len()));
        }
        let period: Vec<Month> = Month::range(from, to).collect();
        let sizes: Vec<u64> = by
            .iter()
            .map(|dimension| match dimension.field() {
                None => period.len() as u64,
                Some(field) => self.pools[field as usize].len().max(1) as u64,
            })
            .collect();
        let possible = sizes.iter().fold(1u64, |product, &size| product.saturating_mul(size));
        if possible > MAX_STOP_GROUPS {
            return Err(StopCountsError::TooManyGroups(possible));
        }
        let selection = self.select(points, scope).ok_or(StopCountsError::NoLsoa)?;
        let arrest_codes: Vec<bool> =
            self.outcome_ids.iter().map(|id| &**id == "bu-arrest").collect();
        let is_arrest = |record: &StopRecord| {
            arrest_codes.get(usize::from(record.text[Field::Outcome as usize])) == Some(&true)
        };

        let mut tallies = vec![StopTally::default(); usize::try_from(possible).unwrap_or(0)];
        let mut total = StopTally::default();
        let mut missing_months = Vec::new();
        for (month_place, &month) in period.iter().enumerate() {
            let Some(data) = self.month(month) else {
                missing_months.push(month);
                continue;
            };
            self.visit_positions_from(data, &selection, data.start, |position| {
                let record = &self.records[position as usize];
                let mut group = 0usize;
                for (dimension, &size) in by.iter().zip(&sizes) {
                    let code = match dimension.field() {
                        None => month_place,
                        Some(field) => usize::from(record.text[field as usize]),
                    };
                    group = group * size as usize + code;
                }
                let arrest = is_arrest(record);
                tallies[group].add(record, arrest);
                total.add(record, arrest);
                ControlFlow::Continue(())
            });
        }

        let mut groups: Vec<StopGroup<'a>> = Vec::new();
        for (mut group, tally) in tallies.into_iter().enumerate() {
            if tally.stops == 0 {
                continue;
            }
            let mut key = vec![StopKeyValue::Text(None); by.len()];
            for ((dimension, &size), value) in by.iter().zip(&sizes).zip(&mut key).rev() {
                let code = group % size as usize;
                group /= size as usize;
                *value = match dimension.field() {
                    None => StopKeyValue::Month(period[code]),
                    Some(field) => {
                        StopKeyValue::Text((code != 0).then(|| &*self.pools[field as usize][code]))
                    }
                };
            }
            groups.push(StopGroup { key, tally });
        }
        groups.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        Ok(StopCounts { missing_months, groups, total })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::crimes::{IndexBuilder, LocationType, SnapPoint};
    use crate::spatial::{Area, Polygon};
    use crate::stops::{StopIndexBuilder, StopInput};
    use crate::testing::check;

    const MONTHS: [(u16, u8); 4] = [(2024, 1), (2024, 2), (2024, 4), (2024, 5)];
    const FORCES: [&str; 3] = ["metropolitan", "city-of-london", "btp"];
    const TYPES: [&str; 3] = ["Person search", "Vehicle search", "Person and Vehicle search"];
    const GENDERS: [&str; 3] = ["Male", "Female", "Other"];
    const AGES: [&str; 4] = ["10-17", "18-24", "25-34", "over 34"];
    const SELF_DEFINED: [&str; 4] = [
        "White - English/Welsh/Scottish/Northern Irish/British",
        "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background",
        "Asian/Asian British - Indian",
        "Other ethnic group - Not stated",
    ];
    const OFFICER_DEFINED: [&str; 4] = ["White", "Black", "Asian", "Other"];
    const LEGISLATION: [&str; 2] = [
        "Misuse of Drugs Act 1971 (section 23)",
        "Police and Criminal Evidence Act 1984 (section 1)",
    ];
    const OBJECTS: [&str; 3] = ["Controlled drugs", "Offensive weapons", "Stolen goods"];
    const OUTCOMES: [&str; 5] = [
        "A no further action disposal",
        "Arrest",
        "Suspect arrested",
        "Community resolution",
        "Nothing found - no further action",
    ];

    /// A generated stop: month, force and snap point (indexes), then a value index per text
    /// field in [`StopDimension::ALL`] order after the month (0 = none), then the link flag.
    type Generated = (usize, usize, Option<usize>, [usize; 8], Option<bool>);

    fn text(values: &'static [&'static str], i: usize) -> Option<&'static str> {
        (i != 0).then(|| values[(i - 1) % values.len()])
    }

    /// The stop's text fields, in [`StopDimension::ALL`] order after the month.
    fn fields(stop: &Generated) -> [Option<&'static str>; 8] {
        let f = stop.3;
        [
            text(&SELF_DEFINED, f[0]),
            text(&OFFICER_DEFINED, f[1]),
            text(&AGES, f[2]),
            text(&GENDERS, f[3]),
            text(&OBJECTS, f[4]),
            text(&OUTCOMES, f[5]),
            text(&LEGISLATION, f[6]),
            text(&TYPES, f[7]),
        ]
    }

    fn points() -> Vec<SnapPoint> {
        use police_generate::rng::Rng;
        let mut rng = Rng::new(11);
        (0..200)
            .map(|i| SnapPoint {
                id: 100 + i,
                latitude: 51.5 + rng.normal() * 0.02,
                longitude: -0.1 + rng.normal() * 0.03,
                name: format!("On or near Street {i}").into(),
                location_type: LocationType::Force,
                subtype: "".into(),
            })
            .collect()
    }

    fn month(i: usize) -> Month {
        Month::new(MONTHS[i].0, MONTHS[i].1).unwrap()
    }

    fn build(points: &[SnapPoint], stops: &[Generated]) -> (CrimeIndex, StopIndex) {
        let mut builder = IndexBuilder::new();
        for point in points {
            builder.add_point(point.clone());
        }
        let crimes = builder.build().unwrap();
        let mut index = StopIndexBuilder::new();
        for (i, stop) in stops.iter().enumerate() {
            let [self_defined, officer_defined, age, gender, object, outcome, legislation, kind] =
                fields(stop);
            index
                .add_stop(StopInput {
                    month: Some(month(stop.0)),
                    force_id: FORCES[stop.1],
                    stop_type: kind,
                    datetime: i as i64,
                    location_id: stop.2.map(|p| points[p].id),
                    gender,
                    age_range: age,
                    self_defined_ethnicity: self_defined,
                    officer_defined_ethnicity: officer_defined,
                    legislation,
                    object_of_search: object,
                    outcome,
                    outcome_linked_to_object_of_search: stop.4,
                    ..StopInput::default()
                })
                .unwrap();
        }
        let stops = index.build(&crimes).unwrap();
        (crimes, stops)
    }

    /// A key as owned values, for comparing with the brute force.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    enum Value {
        Month(Month),
        Text(Option<String>),
    }

    fn owned(key: &[StopKeyValue<'_>]) -> Vec<Value> {
        key.iter()
            .map(|v| match v {
                StopKeyValue::Month(m) => Value::Month(*m),
                StopKeyValue::Text(t) => Value::Text(t.map(str::to_owned)),
            })
            .collect()
    }

    #[derive(Debug, Clone)]
    enum ScopeSpec {
        National,
        Force(&'static str),
        /// A circle around a snap point, radius in metres.
        Circle(usize, f64),
        /// A box around a snap point, half-sides in degrees.
        Box(usize, f64),
    }

    #[test]
    fn counts_equal_brute_force_over_the_stops() {
        let points = points();
        let stop = (
            0..MONTHS.len(),
            0..FORCES.len(),
            proptest::option::weighted(0.6, 0..points.len()),
            proptest::array::uniform8(0..6usize),
            proptest::option::of(any::<bool>()),
        );
        let scope = prop_oneof![
            Just(ScopeSpec::National),
            proptest::sample::select(vec!["metropolitan", "btp", "kent"])
                .prop_map(ScopeSpec::Force),
            (0..points.len(), 10.0..6_000.0).prop_map(|(p, r)| ScopeSpec::Circle(p, r)),
            (0..points.len(), 0.001..0.05).prop_map(|(p, d)| ScopeSpec::Box(p, d)),
        ];
        let dimensions =
            proptest::sample::subsequence(StopDimension::ALL.to_vec(), 0..=3).prop_shuffle();
        // Periods from 2023-12 to 2024-06: 2024-03 is never held, nor the months around.
        let cases = (vec(stop, 0..400), scope, dimensions, 0..7i32, 0..7i32);
        check(200, cases, |(stops, spec, by, from, to)| {
            let (crimes, index) = build(&points, &stops);
            let first = Month::new(2023, 12).unwrap();
            let (from, to) = (first.plus(from).unwrap(), first.plus(to).unwrap());
            let area = match spec {
                ScopeSpec::Circle(p, radius_m) => Some(Area::Circle {
                    lat: points[p].latitude,
                    lng: points[p].longitude,
                    radius_m,
                }),
                ScopeSpec::Box(p, d) => {
                    let (lat, lng) = (points[p].latitude, points[p].longitude);
                    let corners = vec![
                        (lat - d, lng - d),
                        (lat + d, lng - d),
                        (lat + d, lng + d),
                        (lat - d, lng + d),
                    ];
                    Some(Area::Polygon(Polygon::new(corners).unwrap()))
                }
                _ => None,
            };
            let scope = match (&spec, &area) {
                (ScopeSpec::Force(force), _) => CountScope::Force(force),
                (_, Some(area)) => CountScope::Area(area),
                _ => CountScope::National,
            };
            let got = index.stop_counts(&crimes, from, to, scope, &by).unwrap();

            let held: BTreeSet<Month> = stops.iter().map(|s| month(s.0)).collect();
            let missing: Vec<Month> =
                Month::range(from, to).filter(|m| !held.contains(m)).collect();
            let mut groups: BTreeMap<Vec<Value>, StopTally> = BTreeMap::new();
            let mut total = StopTally::default();
            for stop in &stops {
                let (m, force) = (month(stop.0), FORCES[stop.1]);
                let inside = match (&spec, &area) {
                    (ScopeSpec::National, _) => true,
                    (ScopeSpec::Force(want), _) => force == *want,
                    (_, Some(area)) => stop
                        .2
                        .is_some_and(|p| area.contains(points[p].latitude, points[p].longitude)),
                    _ => unreachable!(),
                };
                if !inside || m < from || m > to {
                    continue;
                }
                let values = fields(stop);
                let key: Vec<Value> = by
                    .iter()
                    .map(|d| match d {
                        StopDimension::Month => Value::Month(m),
                        other => {
                            let place = StopDimension::ALL.iter().position(|x| x == other).unwrap();
                            Value::Text(values[place - 1].map(str::to_owned))
                        }
                    })
                    .collect();
                let outcome = values[5];
                let arrest = matches!(outcome, Some("Arrest" | "Suspect arrested"));
                for tally in [groups.entry(key).or_default(), &mut total] {
                    tally.stops += 1;
                    tally.linked += u64::from(stop.4 == Some(true));
                    tally.linked_recorded += u64::from(stop.4.is_some());
                    tally.arrests += u64::from(arrest);
                }
            }
            let expected: Vec<(Vec<Value>, StopTally)> = groups.into_iter().collect();
            let got_groups: Vec<(Vec<Value>, StopTally)> =
                got.groups.iter().map(|g| (owned(&g.key), g.tally)).collect();
            prop_assert_eq!(got_groups, expected, "{:?} {:?} {} {}", spec, by, from, to);
            prop_assert_eq!(got.total, total);
            prop_assert_eq!(got.missing_months, missing);
            Ok(())
        });
    }

    #[test]
    fn dimensions_and_groups_are_capped() {
        let points = points();
        let stops: Vec<Generated> = (0..50)
            .map(|i| {
                (
                    i % 4,
                    i % 3,
                    Some(i),
                    [i % 5, i % 5, i % 5, i % 4, i % 4, i % 6, i % 3, i % 4],
                    None,
                )
            })
            .collect();
        let (crimes, index) = build(&points, &stops);
        let (from, to) = (Month::new(2024, 1).unwrap(), Month::new(2024, 5).unwrap());
        let four = &StopDimension::ALL[..4];
        assert_eq!(
            index.stop_counts(&crimes, from, to, CountScope::National, four),
            Err(StopCountsError::TooManyDimensions(4))
        );
        // 600 months × 6 outcome values (null included) × 5 self-defined ethnicities.
        let long = from.plus(599).unwrap();
        let by =
            [StopDimension::Month, StopDimension::Outcome, StopDimension::SelfDefinedEthnicity];
        assert_eq!(
            index.stop_counts(&crimes, from, long, CountScope::National, &by),
            Err(StopCountsError::TooManyGroups(600 * 6 * 5))
        );
        // Without grouping: one group, every stop; names round-trip.
        let all = index.stop_counts(&crimes, from, to, CountScope::National, &[]).unwrap();
        assert_eq!(all.groups.len(), 1);
        assert_eq!(all.groups[0].key, []);
        assert_eq!(all.groups[0].tally, all.total);
        assert_eq!(all.total.stops, 50);
        assert_eq!(all.missing_months, [Month::new(2024, 3).unwrap()]);
        for dimension in StopDimension::ALL {
            assert_eq!(StopDimension::from_name(dimension.name()), Some(dimension));
        }
        assert_eq!(StopDimension::from_name("ethnicity"), None);
        // An empty index counts nothing and holds no month.
        let empty = StopIndex::default();
        let none = empty.stop_counts(&crimes, from, to, CountScope::National, &by[1..]).unwrap();
        assert_eq!((none.groups.len(), none.total.stops, none.missing_months.len()), (0, 0, 5));
    }
}
