//! The index against brute force over the same rows: random crimes and outcomes (fixed data
//! sets from a seeded generator), queried over areas drawn by proptest strategies.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::*;
use crate::neighbourhoods::Boundary;
use crate::spatial::{Polygon, ONE_MILE_M};
use crate::testing::check;
use police_generate::rng::Rng;

/// (id, month, point index or None, category, force, persistent id)
pub(super) type Crime = (u32, Month, Option<usize>, u8, &'static str, Option<String>);

pub(super) struct Data {
    pub(super) points: Vec<SnapPoint>,
    pub(super) crimes: Vec<Crime>,
    /// (month, crime index in `crimes`, point index, code)
    pub(super) outcomes: Vec<(Month, usize, Option<usize>, u8)>,
}

pub(super) const FORCES: [&str; 3] = ["surrey", "kent", "btp"];

pub(super) fn random_data(seed: u64) -> Data {
    let mut rng = Rng::new(seed);
    let towns: Vec<(f64, f64)> =
        (0..8).map(|_| (rng.range(50.5, 53.5), rng.range(-3.0, 1.0))).collect();
    let points: Vec<SnapPoint> = (0..3000)
        .map(|i| {
            let (lat, lng) = towns[rng.index(towns.len())];
            SnapPoint {
                id: 1000 + i * 3,
                latitude: lat + rng.normal() * 0.03,
                longitude: lng + rng.normal() * 0.05,
                name: format!("On or near Street {i}").into(),
                location_type: if i % 50 == 0 { LocationType::Btp } else { LocationType::Force },
                subtype: "".into(),
            }
        })
        .collect();
    let first = Month::new(2024, 1).unwrap();
    let crimes = (0..20_000u32)
        .map(|id| {
            let month = first.plus(rng.index(4) as i32).unwrap();
            let point = (!rng.chance(0.03)).then(|| rng.index(points.len()));
            let category = rng.index(14) as u8;
            let persistent = (category != 0).then(|| format!("{:016x}{:048x}", rng.next_u64(), id));
            (id + 1, month, point, category, FORCES[rng.index(3)], persistent)
        })
        .collect::<Vec<_>>();
    let outcomes = (0..8000)
        .map(|_| {
            let crime = rng.index(crimes.len());
            let month = crimes[crime].1.plus(rng.index(3) as i32).unwrap();
            (month, crime, crimes[crime].2, rng.index(28) as u8)
        })
        .filter(|(_, crime, _, _)| crimes[*crime].5.is_some())
        .collect();
    Data { points, crimes, outcomes }
}

fn crime_input<'a>(data: &Data, crime: &'a Crime) -> CrimeInput<'a> {
    let (id, month, point, category, force, persistent) = crime;
    CrimeInput {
        id: i64::from(*id),
        month: *month,
        force_id: force,
        persistent_id: persistent.as_deref(),
        location_id: point.map(|p| data.points[p].id),
        category: *category,
        last_outcome: persistent.as_ref().map(|_| "Under investigation"),
        context: "",
        lsoa_code: lsoa_of(*id),
        lsoa_name: lsoa_of(*id).map(|_| "Somewhere 001A"),
    }
}

/// Test crimes' LSOAs: a few codes spread over ids, so that one snap point's crimes have
/// different LSOAs, and some crimes have none.
pub(super) fn lsoa_of(id: u32) -> Option<&'static str> {
    const CODES: [&str; 4] = ["E01000001", "E01000002", "W01000003", "E01000004"];
    CODES.get(id as usize % 5).copied()
}

/// The index's input for an outcome of [`random_data`].
pub(super) fn outcome_input<'a>(
    data: &'a Data,
    (month, crime, point, code): &(Month, usize, Option<usize>, u8),
) -> OutcomeInput<'a> {
    OutcomeInput {
        month: *month,
        persistent_id: data.crimes[*crime].5.as_deref().unwrap(),
        location_id: point.map(|p| data.points[p].id),
        code: *code,
    }
}

/// What the API renders of a crime (and its outcomes), to compare two indexes' answers.
fn describe(crime: &CrimeRef<'_>) -> impl PartialEq + std::fmt::Debug {
    let mut buffer = [0; 64];
    (
        crime.record.id,
        crime.month,
        crime.point.map(|p| p.id),
        crime.force_id().to_owned(),
        crime.persistent_id(&mut buffer).to_owned(),
        crime.outcome_status().map(|(name, month)| (name.to_owned(), month)),
        crime.outcomes().collect::<Vec<_>>(),
        crime.lsoa_code().to_owned(),
        crime.context().to_owned(),
    )
}

pub(super) fn build(data: &Data) -> CrimeIndex {
    let mut builder = IndexBuilder::new();
    for point in &data.points {
        builder.add_point(point.clone());
    }
    for crime in &data.crimes {
        builder.add_crime(crime_input(data, crime)).unwrap();
    }
    for outcome in &data.outcomes {
        builder.add_outcome(outcome_input(data, outcome)).unwrap();
    }
    builder.build().unwrap()
}

/// An area around a snap point of the data (by index), resolved by [`AreaSpec::area`].
#[derive(Debug, Clone)]
pub(super) enum AreaSpec {
    /// A one-mile circle.
    Mile(Index),
    /// A circle of the given radius in metres.
    Circle(Index, f64),
    /// A star of the given size in degrees, a vertex per radius factor: concave more often
    /// than not.
    Star(Index, f64, Vec<f64>),
    /// An axis-aligned box with corners on two snap points: points on the boundary.
    Box(Index, Index),
    /// A region of two parts, as a neighbourhood's boundary or GeoJSON can be: a square of the
    /// given half-width in degrees around the point with a square hole half as wide, and a
    /// second square around another point.
    Region(Index, f64, Index),
}

pub(super) fn area_spec() -> impl Strategy<Value = AreaSpec> {
    prop_oneof![
        any::<Index>().prop_map(AreaSpec::Mile),
        (any::<Index>(), 1.0..200_000.0).prop_map(|(c, r)| AreaSpec::Circle(c, r)),
        (any::<Index>(), 0.0005..1.5, vec(0.2..1.0, 3..15))
            .prop_map(|(c, size, radii)| AreaSpec::Star(c, size, radii)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| AreaSpec::Box(a, b)),
        (any::<Index>(), 0.001..0.5, any::<Index>())
            .prop_map(|(a, s, b)| AreaSpec::Region(a, s, b)),
    ]
}

impl AreaSpec {
    pub(super) fn area(&self, data: &Data) -> Area {
        let point = |i: &Index| &data.points[i.index(data.points.len())];
        let (Self::Mile(c)
        | Self::Circle(c, _)
        | Self::Star(c, ..)
        | Self::Box(c, _)
        | Self::Region(c, ..)) = self;
        let (lat, lng) = (point(c).latitude, point(c).longitude);
        match self {
            Self::Mile(_) => Area::Circle { lat, lng, radius_m: ONE_MILE_M },
            Self::Circle(_, radius_m) => Area::Circle { lat, lng, radius_m: *radius_m },
            Self::Star(_, size, radii) => {
                let n = radii.len();
                let vertices = radii
                    .iter()
                    .enumerate()
                    .map(|(k, factor)| {
                        let angle = k as f64 / n as f64 * std::f64::consts::TAU;
                        let r = size * factor;
                        (lat + r * angle.sin(), lng + r * angle.cos())
                    })
                    .collect();
                Area::Polygon(Polygon::new(vertices).unwrap())
            }
            Self::Box(_, other) => {
                let other = point(other);
                let (a, b) = (lat.min(other.latitude), lat.max(other.latitude) + 1e-4);
                let (c, d) = (lng.min(other.longitude), lng.max(other.longitude) + 1e-4);
                Area::Polygon(Polygon::new(vec![(a, c), (b, c), (b, d), (a, d)]).unwrap())
            }
            Self::Region(_, size, other) => {
                let square = |lat: f64, lng: f64, r: f64| {
                    vec![
                        [lat - r, lng - r],
                        [lat - r, lng + r],
                        [lat + r, lng + r],
                        [lat + r, lng - r],
                    ]
                };
                let other = point(other);
                let parts = vec![
                    vec![square(lat, lng, *size), square(lat, lng, size / 2.0)],
                    vec![square(other.latitude, other.longitude, size / 3.0)],
                ];
                Area::Region(std::sync::Arc::new(Boundary::new(parts).unwrap()))
            }
        }
    }
}

#[test]
fn area_queries_equal_brute_force_over_the_rows() {
    let sets: Vec<(Data, CrimeIndex)> = (0..3)
        .map(|seed| {
            let data = random_data(seed);
            let index = build(&data);
            assert_eq!(index.crime_count(), data.crimes.len());
            (data, index)
        })
        .collect();
    // 300 cases a data set: an area, a month (one past the data's four), maybe a category.
    let cases = (0..sets.len(), area_spec(), 1..=5u8, proptest::option::of(0..14u8));
    check(900, cases, |(set, spec, month, category)| {
        let (data, index) = &sets[set];
        let area = spec.area(data);
        let month = Month::new(2024, month).unwrap();
        let expected: BTreeSet<u32> = data
            .crimes
            .iter()
            .filter(|(_, m, point, c, _, _)| {
                *m == month
                    && category.is_none_or(|want| *c == want)
                    && point.is_some_and(|p| {
                        area.contains(data.points[p].latitude, data.points[p].longitude)
                    })
            })
            .map(|c| c.0)
            .collect();
        let found = index.crimes_in_area(month, &area, category, None).unwrap();
        let got: BTreeSet<u32> = found.iter().map(|c| c.record.id).collect();
        prop_assert_eq!(got.len(), found.len(), "no crime twice");
        prop_assert_eq!(&got, &expected, "{:?} {} {:?}", area, month, category);
        for crime in &found {
            let (_, m, point, ..) = &data.crimes[crime.record.id as usize - 1];
            prop_assert_eq!(crime.month, *m);
            prop_assert_eq!(crime.point.map(|p| p.id), point.map(|p| data.points[p].id));
        }
        // The cap counts the same rows.
        if expected.len() > 1 {
            let cap = expected.len() - 1;
            let too_many = index.crimes_in_area(month, &area, category, Some(cap)).unwrap_err();
            prop_assert_eq!(too_many, TooManyResults { found: expected.len(), cap });
        }

        let expected_outcomes: BTreeSet<(u32, u8)> = data
            .outcomes
            .iter()
            .filter(|(m, _, point, _)| {
                *m == month
                    && point.is_some_and(|p| {
                        area.contains(data.points[p].latitude, data.points[p].longitude)
                    })
            })
            .map(|(_, crime, _, code)| (data.crimes[*crime].0, *code))
            .collect();
        let got: BTreeSet<(u32, u8)> = index
            .outcomes_in_area(month, &area, None)
            .unwrap()
            .iter()
            .map(|o| (o.crime.record.id, o.code))
            .collect();
        prop_assert_eq!(got, expected_outcomes, "outcomes");
        Ok(())
    });
}

/// The two ways to a category's crimes in an area (the area's snap points, or the month's
/// crimes of the category) give the same crimes in the same order, capped alike; and the
/// planner takes each of them for some areas.
#[test]
fn a_category_found_from_either_end_gives_the_same_answer() {
    let data = random_data(11);
    let index = build(&data);
    let month = Month::new(2024, 2).unwrap();
    let month_data = index.month(month).unwrap();
    let ways_taken = std::cell::Cell::new((0usize, 0usize));
    check(300, (area_spec(), 0..14u8), |(spec, category)| {
        let area = spec.area(&data);
        let prepared = PreparedArea::new(&area);
        let by_points = index.spatial.query(&area);
        let from_points = index.crimes_at_points(month, &by_points, Some(category), None).unwrap();
        let from_category =
            index.crimes_of_category_in_area(month_data, &prepared, category, None).unwrap();
        let key = |c: &CrimeRef<'_>| (c.record.id, c.position, c.point.map(|p| p.id));
        let expected: Vec<_> = from_points.iter().map(key).collect();
        prop_assert_eq!(&from_category.iter().map(key).collect::<Vec<_>>(), &expected);
        let planned = index.crimes_in_area(month, &area, Some(category), None).unwrap();
        prop_assert_eq!(&planned.iter().map(key).collect::<Vec<_>>(), &expected);
        if expected.len() > 1 {
            let cap = expected.len() - 1;
            let refused =
                index.crimes_of_category_in_area(month_data, &prepared, category, Some(cap));
            prop_assert_eq!(refused.unwrap_err(), TooManyResults { found: expected.len(), cap });
        }
        let max = index.category_scan_cost(month_data, category) / search_cost::CANDIDATE_POINT;
        let (by_area, by_category) = ways_taken.get();
        ways_taken.set(match index.spatial.query_within(&prepared, usize::MAX, |_| 0, max) {
            Err(QueryStop::TooManyCandidates) => (by_area, by_category + 1),
            _ => (by_area + 1, by_category),
        });
        Ok(())
    });
    let (by_area, by_category) = ways_taken.get();
    assert!(by_area > 0 && by_category > 0, "areas: {by_area}, categories: {by_category}");
}

#[test]
fn lookups_by_point_force_and_persistent_id_equal_brute_force() {
    let data = random_data(7);
    let index = build(&data);
    let month = Month::new(2024, 2).unwrap();
    for force in FORCES {
        let expected: BTreeSet<u32> = data
            .crimes
            .iter()
            .filter(|(_, m, point, _, f, _)| *m == month && point.is_none() && *f == force)
            .map(|c| c.0)
            .collect();
        let got: BTreeSet<u32> =
            index.crimes_without_location(month, force, None).iter().map(|c| c.record.id).collect();
        assert_eq!(got, expected, "{force}");
    }
    for p in (0..data.points.len()).step_by(37) {
        let point = index.point_by_id(data.points[p].id).unwrap();
        let expected: BTreeSet<u32> = data
            .crimes
            .iter()
            .filter(|(_, m, at, ..)| *m == month && *at == Some(p))
            .map(|c| c.0)
            .collect();
        let got: BTreeSet<u32> =
            index.crimes_at_point(month, point, None).iter().map(|c| c.record.id).collect();
        assert_eq!(got, expected);
    }
    for (i, (id, m, point, _, _, persistent)) in data.crimes.iter().enumerate().step_by(11) {
        let Some(persistent) = persistent else { continue };
        let crime = index.crime_by_persistent_id(persistent).expect("found");
        assert_eq!((crime.record.id, crime.month), (*id, *m));
        assert_eq!(crime.point.map(|p| p.id), point.map(|p| data.points[p].id));
        let mut buffer = [0; 64];
        assert_eq!(crime.persistent_id(&mut buffer), persistent);
        let mut expected: Vec<(Month, u8)> = data
            .outcomes
            .iter()
            .filter(|(_, crime, ..)| *crime == i)
            .map(|(month, _, _, code)| (*month, *code))
            .collect();
        expected.sort();
        assert_eq!(crime.outcomes().collect::<Vec<_>>(), expected);
        let latest = expected.last().map_or(*m, |(month, _)| *month);
        assert_eq!(crime.outcome_status().map(|(_, month)| month), Some(latest));
        assert!(index.crime_by_persistent_id(&persistent.to_uppercase()).is_none());
    }
    assert!(index.crime_by_persistent_id("not-an-id").is_none());
}

/// Crimes whose context, Crime ID, last outcome or outcome month do not fit the record.
#[test]
fn rare_values_round_trip_through_the_side_tables() {
    let month = Month::new(2024, 6).unwrap();
    let mut builder = IndexBuilder::new();
    builder.add_point(SnapPoint {
        id: 7,
        latitude: 51.5,
        longitude: -0.1,
        name: "On or near High Street".into(),
        location_type: LocationType::Force,
        subtype: "".into(),
    });
    // 300 distinct last outcomes: more than a byte numbers.
    let names: Vec<String> = (0..300).map(|i| format!("Outcome {i}")).collect();
    let ids: Vec<String> = (0..300).map(|i| format!("{i:064x}")).collect();
    for i in 0..300 {
        builder
            .add_crime(CrimeInput {
                id: i + 1,
                month,
                force_id: FORCES[i as usize % 3],
                persistent_id: match i {
                    3 => Some("not-hex-3"),
                    _ if i % 10 == 3 => None,
                    _ => Some(&ids[i as usize]),
                },
                location_id: (i % 2 == 0).then_some(7),
                category: 1,
                last_outcome: Some(&names[i as usize]),
                context: if i % 7 == 0 { "Reported online" } else { "" },
                lsoa_code: None,
                lsoa_name: None,
            })
            .unwrap();
    }
    // Outcomes before the crime's month, long after it, and just after it.
    for (i, offset) in [(10, -2), (20, 70), (30, 62), (40, 61), (50, 0)] {
        builder
            .add_outcome(OutcomeInput {
                month: month.plus(offset).unwrap(),
                persistent_id: &ids[i],
                location_id: None,
                code: 4,
            })
            .unwrap();
    }
    builder
        .add_outcome(OutcomeInput {
            month: month.plus(1).unwrap(),
            persistent_id: "not-hex-3",
            location_id: Some(7),
            code: 5,
        })
        .unwrap();
    let index = builder.build().unwrap();

    for i in (0..300).filter(|i| i % 10 != 3) {
        let crime = index.crime_by_persistent_id(&ids[i]).expect("found");
        assert_eq!(crime.record.id, i as u32 + 1);
        assert_eq!(crime.context(), if i % 7 == 0 { "Reported online" } else { "" });
        assert_eq!(crime.force_id(), FORCES[i % 3]);
        let latest = match i {
            10 => month.plus(-2).unwrap(),
            20 => month.plus(70).unwrap(),
            30 => month.plus(62).unwrap(),
            40 => month.plus(61).unwrap(),
            _ => month,
        };
        assert_eq!(crime.outcome_status(), Some((names[i].as_str(), latest)), "crime {i}");
    }
    let other = index.crime_by_persistent_id("not-hex-3").expect("found");
    let mut buffer = [0; 64];
    assert_eq!(other.persistent_id(&mut buffer), "not-hex-3");
    assert_eq!(other.outcomes().collect::<Vec<_>>(), vec![(month.plus(1).unwrap(), 5)]);
    assert_eq!(other.outcome_status().map(|(_, m)| m), Some(month.plus(1).unwrap()));
    let at_point = index.outcomes_at_point(month.plus(1).unwrap(), 0);
    assert_eq!(at_point.iter().map(|o| o.crime.record.id).collect::<Vec<_>>(), vec![4]);
    assert_eq!(index.orphan_outcomes, 0);
}

/// Builders filled apart and appended build the same index as one builder given it all.
#[test]
fn appended_builders_equal_one_builder() {
    let data = random_data(11);
    let whole = build(&data);
    let mut parts: Vec<IndexBuilder> = (0..3).map(|_| IndexBuilder::new()).collect();
    for (i, crime) in data.crimes.iter().enumerate() {
        parts[i * 3 / data.crimes.len()].add_crime(crime_input(&data, crime)).unwrap();
    }
    for outcome in &data.outcomes {
        parts[1].add_outcome(outcome_input(&data, outcome)).unwrap();
    }
    // The points come last: crimes may be staged before their snap points.
    for point in &data.points {
        parts[2].add_point(point.clone());
    }
    let mut parts = parts.into_iter();
    let mut builder = parts.next().unwrap();
    for part in parts {
        builder.append(part).unwrap();
    }
    let appended = builder.build().unwrap();

    assert_eq!(appended.crime_count(), whole.crime_count());
    assert_eq!(appended.outcome_count(), whole.outcome_count());
    for m in 1..=5 {
        let month = Month::new(2024, m).unwrap();
        for p in (0..data.points.len() as u32).step_by(7) {
            let a: Vec<_> = whole.crimes_at_point(month, p, None).iter().map(describe).collect();
            let b: Vec<_> = appended.crimes_at_point(month, p, None).iter().map(describe).collect();
            assert_eq!(a, b);
            let a: Vec<_> = whole
                .outcomes_at_point(month, p)
                .iter()
                .map(|o| (o.code, describe(&o.crime)))
                .collect();
            let b: Vec<_> = appended
                .outcomes_at_point(month, p)
                .iter()
                .map(|o| (o.code, describe(&o.crime)))
                .collect();
            assert_eq!(a, b);
        }
        for force in FORCES {
            let a: Vec<_> =
                whole.crimes_without_location(month, force, None).iter().map(describe).collect();
            let b: Vec<_> =
                appended.crimes_without_location(month, force, None).iter().map(describe).collect();
            assert_eq!(a, b);
        }
    }
}

/// Where a property test selects crimes: the scope of [`CrimeIndex::select`], described.
#[derive(Debug, Clone)]
pub(super) enum ScopeSpec {
    National,
    /// A force of the data, or one without crimes.
    Force(&'static str),
    Area(AreaSpec),
    /// An LSOA code of the data, or one no crime has.
    Lsoa(&'static str),
}

/// Any [`ScopeSpec`] over [`random_data`].
pub(super) fn scope_spec() -> impl Strategy<Value = ScopeSpec> {
    prop_oneof![
        Just(ScopeSpec::National),
        proptest::sample::select(vec!["surrey", "kent", "btp", "nowhere"])
            .prop_map(ScopeSpec::Force),
        area_spec().prop_map(ScopeSpec::Area),
        proptest::sample::select(vec!["E01000001", "W01000003", "E01000004", "E01999999"])
            .prop_map(ScopeSpec::Lsoa),
    ]
}

impl ScopeSpec {
    /// An `Area` spec's area over `data`; `None` for the others.
    pub(super) fn area(&self, data: &Data) -> Option<Area> {
        match self {
            ScopeSpec::Area(area) => Some(area.area(data)),
            _ => None,
        }
    }

    /// The scope to select, `area` being [`ScopeSpec::area`]'s.
    pub(super) fn scope<'a>(&'a self, area: &'a Option<Area>) -> CountScope<'a> {
        match (self, area) {
            (ScopeSpec::Force(force), _) => CountScope::Force(force),
            (ScopeSpec::Lsoa(code), _) => CountScope::Lsoa(code),
            (_, Some(area)) => CountScope::Area(area),
            _ => CountScope::National,
        }
    }

    /// Brute force: whether the scope holds a record of crime `id` of `force`, mapped at
    /// `point` (a force or an LSOA go by the crime, an area by the point).
    pub(super) fn holds(
        &self,
        area: &Option<Area>,
        data: &Data,
        id: u32,
        force: &str,
        point: Option<usize>,
    ) -> bool {
        match self {
            ScopeSpec::National => true,
            ScopeSpec::Force(want) => force == *want,
            ScopeSpec::Lsoa(want) => lsoa_of(id) == Some(*want),
            ScopeSpec::Area(_) => point.is_some_and(|p| {
                let p = &data.points[p];
                area.as_ref().is_some_and(|area| area.contains(p.latitude, p.longitude))
            }),
        }
    }
}

/// Walks from `from` in pages of `sizes` (cycled), each resumed where the last stopped, as a
/// client pages with cursors: `walk(resume, push)` walks from `resume`, offering records to
/// `push` (which breaks when the page is full) and returns where the next page starts.
/// Checks that only the last page is short, that no page is empty unless the whole answer
/// is, and that each next position lies past the page's last record (`position_of`);
/// returns every page's records in order.
pub(super) fn page_through<T>(
    from: Month,
    sizes: &[usize],
    position_of: impl Fn(&T) -> WalkPosition,
    mut walk: impl FnMut(WalkPosition, &mut dyn FnMut(T) -> ControlFlow<()>) -> Option<WalkPosition>,
) -> Result<Vec<T>, TestCaseError> {
    let mut paged = Vec::new();
    let mut at = Some(WalkPosition::start_of(from));
    let mut sizes = sizes.iter().cycle();
    while let Some(resume) = at {
        let size = sizes.next().copied().unwrap_or(usize::MAX);
        let mut page = Vec::new();
        at = walk(resume, &mut |record| {
            if page.len() == size {
                return ControlFlow::Break(());
            }
            page.push(record);
            ControlFlow::Continue(())
        });
        prop_assert!(!page.is_empty() || (at.is_none() && paged.is_empty()), "empty page");
        if let (Some(next), Some(last)) = (at, page.last()) {
            prop_assert_eq!(page.len(), size);
            prop_assert!(next > position_of(last), "{:?}", next);
        }
        paged.extend(page);
    }
    Ok(paged)
}

#[test]
fn counts_equal_brute_force_over_the_rows() {
    // Four months of crimes with the third left out: a month the index does not hold.
    let mut data = random_data(5);
    let gap = Month::new(2024, 3).unwrap();
    data.crimes.retain(|c| c.1 != gap);
    // Kent's data is missing in 2024-02 and btp's in 2024-04: other forces' are held.
    data.crimes.retain(|c| {
        (c.1, c.4) != (Month::new(2024, 2).unwrap(), "kent")
            && (c.1, c.4) != (Month::new(2024, 4).unwrap(), "btp")
    });
    data.outcomes.clear();
    let index = build(&data);
    assert_eq!(index.crime_months().collect::<Vec<_>>().len(), 3);
    // Periods from 2023-11 to 2024-06: months before, inside, between and after the data,
    // and empty ones (from after to).
    let cases = (scope_spec(), 0..8i32, 0..8i32);
    check(300, cases, |(spec, from, to)| {
        let first = Month::new(2023, 11).unwrap();
        let (from, to) = (first.plus(from).unwrap(), first.plus(to).unwrap());
        let area = spec.area(&data);
        let scope = spec.scope(&area);
        let held: BTreeSet<Month> = data.crimes.iter().map(|c| c.1).collect();
        let period = |m: &Month| from <= *m && *m <= to;
        let inside =
            |(id, _, point, _, force, _): &Crime| spec.holds(&area, &data, *id, force, *point);
        // The scope's forces: a force scope's force (when it has crimes at all), else the
        // forces of the crimes counted in the period.
        let scope_forces: BTreeSet<&str> = match &spec {
            ScopeSpec::Force(want) => {
                data.crimes.iter().filter(|c| c.4 == *want).map(|c| c.4).take(1).collect()
            }
            _ => data.crimes.iter().filter(|c| period(&c.1) && inside(c)).map(|c| c.4).collect(),
        };
        let mut expected = Vec::new();
        for month in Month::range(from, to) {
            let month_forces: BTreeSet<&str> =
                data.crimes.iter().filter(|c| c.1 == month).map(|c| c.4).collect();
            let missing_forces: Vec<Box<str>> = if held.contains(&month) {
                scope_forces.difference(&month_forces).map(|&f| f.into()).collect()
            } else {
                Vec::new()
            };
            let all_missing =
                !scope_forces.is_empty() && missing_forces.len() == scope_forces.len();
            let counts = (held.contains(&month) && !all_missing).then(|| {
                let mut counts = [0u64; CATEGORY_COUNT];
                for crime in data.crimes.iter().filter(|c| c.1 == month && inside(c)) {
                    counts[crime.3 as usize] += 1;
                }
                counts
            });
            expected.push(MonthCounts { month, counts, missing_forces });
        }
        let got = index.crime_counts(from, to, scope);
        prop_assert_eq!(got, expected, "{:?} {} {}", spec, from, to);
        Ok(())
    });
}

/// An index updated with the rows of new months, its oldest month dropped, answers as one
/// built from the same rows at once: lists, lookups, walks (and so cursors), counts.
/// Which rows of [`random_data`] an index is built from: crimes and outcomes by their
/// position in the data.
struct Rows<'a> {
    crimes: &'a dyn Fn(usize, &Crime) -> bool,
    outcomes: &'a dyn Fn(usize, Month) -> bool,
}

/// Adds the points and the rows chosen to `builder`.
fn fill(builder: &mut IndexBuilder, data: &Data, points: &[SnapPoint], rows: Rows<'_>) {
    for point in points {
        builder.add_point(point.clone());
    }
    for (i, crime) in data.crimes.iter().enumerate() {
        if (rows.crimes)(i, crime) {
            builder.add_crime(crime_input(data, crime)).unwrap();
        }
    }
    for (i, outcome) in data.outcomes.iter().enumerate() {
        if (rows.outcomes)(i, outcome.0) {
            builder.add_outcome(outcome_input(data, outcome)).unwrap();
        }
    }
}

/// Data whose months before `added` use only the snap points before `new_points` (those
/// from it on are new in an update bringing the months from `added`).
fn data_for_updates(seed: u64, added: Month, new_points: usize) -> Data {
    let mut data = random_data(seed);
    for crime in data.crimes.iter_mut().filter(|c| c.1 < added) {
        crime.2 = crime.2.map(|p| p % new_points);
    }
    for outcome in data.outcomes.iter_mut().filter(|o| o.0 < added) {
        outcome.2 = outcome.2.map(|p| p % new_points);
    }
    data
}

/// An index updated with the rows of new months, its oldest month dropped, answers as one
/// built from the same rows at once: lists, lookups, walks (and so cursors), counts.
#[test]
fn an_updated_index_answers_as_one_built_from_the_same_rows() {
    let added = Month::new(2024, 3).unwrap();
    let kept_from = Month::new(2024, 2).unwrap();
    const NEW_POINTS: usize = 2500;
    let data = data_for_updates(13, added, NEW_POINTS);
    let mut old = IndexBuilder::new();
    let rows = Rows { crimes: &|_, c| c.1 < added, outcomes: &|_, m| m < added };
    fill(&mut old, &data, &data.points[..NEW_POINTS], rows);
    let old = old.build().unwrap();
    let mut additions = IndexBuilder::continuing(&old).unwrap();
    let rows = Rows { crimes: &|_, c| c.1 >= added, outcomes: &|_, m| m >= added };
    fill(&mut additions, &data, &data.points[NEW_POINTS..], rows);
    let updated = old.updated(additions, |m| m >= kept_from).unwrap();
    let mut whole = IndexBuilder::new();
    let rows = Rows { crimes: &|_, c| c.1 >= kept_from, outcomes: &|_, m| m >= kept_from };
    fill(&mut whole, &data, &data.points, rows);
    let whole = whole.build().unwrap();
    assert!(whole.orphan_outcomes > 0, "outcomes of kept months whose crime went");
    assert_same_answers(&data, &updated, &whole);
}

/// The newest month held, published again with rows changed (a late file, a correction),
/// is dropped and read again, and outcomes dropped with it no longer count as a crime's
/// latest: the index answers as one built from the new rows at once.
#[test]
fn an_update_that_reads_the_newest_month_again_answers_as_one_built_at_once() {
    let newest = Month::new(2024, 4).unwrap();
    let data = data_for_updates(15, newest, 3000);
    // The first publication of 2024-04 has every tenth crime and seventh outcome more than
    // the second; the outcomes of 2024-05 and 2024-06 come with the second.
    let first = Rows { crimes: &|_, c| c.1 <= newest, outcomes: &|_, m| m <= newest };
    let second = |i: usize, month: Month, last: Month| {
        month <= last && (month < newest || !i.is_multiple_of(7))
    };
    let mut old = IndexBuilder::new();
    fill(&mut old, &data, &data.points, first);
    let old = old.build().unwrap();
    let mut additions = IndexBuilder::continuing(&old).unwrap();
    let rows = Rows {
        crimes: &|i, c| c.1 == newest && !i.is_multiple_of(10),
        outcomes: &|i, m| m >= newest && second(i, m, Month::new(2024, 6).unwrap()),
    };
    fill(&mut additions, &data, &[], rows);
    let updated = old.updated(additions, |m| m < newest).unwrap();
    let mut whole = IndexBuilder::new();
    let rows = Rows {
        crimes: &|i, c| c.1 < newest || !i.is_multiple_of(10),
        outcomes: &|i, m| second(i, m, Month::new(2024, 6).unwrap()),
    };
    fill(&mut whole, &data, &data.points, rows);
    let whole = whole.build().unwrap();
    assert_same_answers(&data, &updated, &whole);
}

/// Every kind of answer of the two indexes is the same.
fn assert_same_answers(data: &Data, updated: &CrimeIndex, whole: &CrimeIndex) {
    assert_eq!(
        (updated.crime_count(), updated.outcome_count(), updated.orphan_outcomes),
        (whole.crime_count(), whole.outcome_count(), whole.orphan_outcomes)
    );
    assert_eq!(
        updated.crime_months().collect::<Vec<_>>(),
        whole.crime_months().collect::<Vec<_>>()
    );
    let first = Month::new(2024, 1).unwrap();
    let last = Month::new(2024, 7).unwrap();
    for month in Month::range(first, last) {
        for p in 0..data.points.len() as u32 {
            let a: Vec<_> = whole.crimes_at_point(month, p, None).iter().map(describe).collect();
            let b: Vec<_> = updated.crimes_at_point(month, p, None).iter().map(describe).collect();
            assert_eq!(a, b, "crimes at point {p} in {month}");
            let a: Vec<_> = whole
                .outcomes_at_point(month, p)
                .iter()
                .map(|o| (o.code, describe(&o.crime)))
                .collect();
            let b: Vec<_> = updated
                .outcomes_at_point(month, p)
                .iter()
                .map(|o| (o.code, describe(&o.crime)))
                .collect();
            assert_eq!(a, b, "outcomes at point {p} in {month}");
        }
        for force in FORCES {
            let a: Vec<_> =
                whole.crimes_without_location(month, force, None).iter().map(describe).collect();
            let b: Vec<_> =
                updated.crimes_without_location(month, force, None).iter().map(describe).collect();
            assert_eq!(a, b);
        }
    }
    for crime in &data.crimes {
        let Some(id) = crime.5.as_deref() else { continue };
        let a = whole.crime_by_persistent_id(id).map(|c| describe(&c));
        let b = updated.crime_by_persistent_id(id).map(|c| describe(&c));
        assert_eq!(a, b, "crime {id}");
    }
    // Walks, whose positions cursors carry, agree position for position.
    let mile = Area::Circle {
        lat: data.points[7].latitude,
        lng: data.points[7].longitude,
        radius_m: ONE_MILE_M,
    };
    for scope in [
        CountScope::National,
        CountScope::Force("kent"),
        CountScope::Area(&mile),
        CountScope::Lsoa("E01000002"),
    ] {
        let walk = |index: &CrimeIndex| {
            let selection = index.select(scope);
            let mut crimes = Vec::new();
            let mut at = Some(WalkPosition::start_of(first));
            while let Some(resume) = at {
                let mut page = Vec::new();
                at = index.walk_selected(resume, last, &selection, |crime| {
                    if page.len() == 97 {
                        return ControlFlow::Break(());
                    }
                    page.push(describe(&crime));
                    ControlFlow::Continue(())
                });
                crimes.push((page, at));
            }
            let mut outcomes = Vec::new();
            let mut at = Some(WalkPosition::start_of(first));
            while let Some(resume) = at {
                let mut page = Vec::new();
                at = index.walk_selected_outcomes(resume, last, &selection, |o| {
                    if page.len() == 89 {
                        return ControlFlow::Break(());
                    }
                    page.push((o.point.map(|p| p.id), o.outcome.code, describe(&o.outcome.crime)));
                    ControlFlow::Continue(())
                });
                outcomes.push((page, at));
            }
            (crimes, outcomes)
        };
        assert_eq!(walk(updated), walk(whole), "{scope:?}");
        let counts = |index: &CrimeIndex| {
            format!(
                "{:?} {:?} {:?} {:?}",
                index.crime_counts(first, last, scope),
                index.outcome_counts(first, last, scope, &[1, 2, 3, 5, 8, 13]),
                index.last_outcome_counts(first, last, scope),
                index.crime_hotspots(first, last, scope, &[1, 2, 3, 5, 8, 13], 20),
            )
        };
        assert_eq!(counts(updated), counts(whole), "{scope:?}");
    }
    let a: Vec<_> = whole
        .crimes_in_area(last.plus(-3).unwrap(), &mile, None, None)
        .unwrap()
        .iter()
        .map(describe)
        .collect();
    let b: Vec<_> = updated
        .crimes_in_area(last.plus(-3).unwrap(), &mile, None, None)
        .unwrap()
        .iter()
        .map(describe)
        .collect();
    assert_eq!(a, b);
    assert!(!a.is_empty());
}

/// An update is refused, the index unchanged, when it brings crimes or outcomes of a month
/// not newer than those held (the caller builds afresh instead).
#[test]
fn an_update_with_rows_of_a_held_month_is_refused() {
    let data = random_data(14);
    let index = build(&data);
    let held = data.crimes.iter().map(|c| c.1).max().unwrap();
    let crime = data.crimes.iter().find(|c| c.1 == held).unwrap();
    let mut additions = IndexBuilder::continuing(&index).unwrap();
    additions.add_crime(crime_input(&data, crime)).unwrap();
    let refused = index.updated(additions, |_| true).unwrap_err();
    assert!(refused.to_string().contains("not newer"), "{refused}");
    let newest_outcomes = data.outcomes.iter().map(|o| o.0).max().unwrap();
    let mut additions = IndexBuilder::continuing(&index).unwrap();
    additions
        .add_outcome(OutcomeInput {
            month: newest_outcomes,
            persistent_id: &"ab".repeat(32),
            location_id: None,
            code: 1,
        })
        .unwrap();
    assert!(index.updated(additions, |_| true).is_err());
    // Numbered by another index: refused too.
    let mut stranger = IndexBuilder::new();
    stranger
        .add_crime(CrimeInput {
            force_id: "zzz",
            month: newest_outcomes.plus(1).unwrap(),
            ..crime_input(&data, crime)
        })
        .unwrap();
    assert!(index.updated(stranger, |_| true).is_err());
}
