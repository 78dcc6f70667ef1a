//! The benchmarks' in-process index (`police_benches::InProcessIndex`, built without a
//! database) against `Snapshot::load` of the same generated archive imported into a store:
//! the same snap points, and the same answers to a few hundred circle queries (counts, crime
//! ids and what the API renders of each crime) and neighbourhood lookups.

use police_benches::{InProcessIndex, QueryPointRng};
use police_generate::{generate, GenerateOptions};
use police_index::crimes::{CrimeIndex, CrimeRef};
use police_index::spatial::Area;
use police_index::Month;
use police_store::import::{import_paths, ImportOptions, Silent};
use police_store::snapshot::Snapshot;
use police_tests::test_database;

/// What a benchmark (or the API) sees of a crime.
fn seen(crime: &CrimeRef<'_>) -> String {
    let mut buffer = [0; 64];
    format!(
        "{} {} {:?} {} {} {:?} {:?} {:?}",
        crime.record.id,
        crime.month,
        crime.point.map(|p| (p.id, p.latitude.to_bits(), p.longitude.to_bits(), &*p.name)),
        crime.category_slug(),
        crime.force_id(),
        crime.persistent_id(&mut buffer),
        crime.context(),
        crime.outcome_status(),
    )
}

fn answers(index: &CrimeIndex, month: Month, area: &Area) -> Vec<String> {
    index.crimes_in_area(month, area, None, None).expect("no cap").iter().map(seen).collect()
}

#[test]
fn in_process_index_matches_the_snapshot_of_the_imported_archive() {
    let scratch = tempfile::tempdir().unwrap();
    let archive = scratch.path().join("archive");
    let options = GenerateOptions {
        seed: 11,
        forces: ["city-of-london", "leicestershire", "surrey", "btp"].map(String::from).to_vec(),
        first_month: Month::new(2024, 6).unwrap(),
        months: 1,
        crimes_per_month: 12_000,
        snap_points: 6_000,
        neighbourhoods_per_force: 10,
    };
    generate(&options, &archive).unwrap();

    let built = InProcessIndex::from_archive(&archive).unwrap();
    let db = test_database();
    // One worker: the order in which ids are handed out is then the one the in-process
    // build mirrors.
    let import_options = ImportOptions { workers: 1, ..ImportOptions::default() };
    let summary =
        import_paths(&db.url, std::slice::from_ref(&archive), &import_options, &Silent).unwrap();
    assert_eq!(summary.problems(), 0, "{:?}", summary.files);
    let snapshot = Snapshot::load(&db.url).unwrap();
    let (ours, theirs) = (&built.index, &snapshot.index);

    assert_eq!(built.latest_crime_month, snapshot.latest_crime_month);
    let month = built.latest_crime_month.unwrap();
    assert_eq!(ours.crime_count(), theirs.crime_count());
    assert_eq!(ours.outcome_count(), theirs.outcome_count());
    assert_eq!(ours.point_count(), theirs.point_count());
    assert!(ours.crime_count() > 10_000, "{} crimes", ours.crime_count());
    for p in 0..ours.point_count() as u32 {
        let (a, b) = (ours.point(p), theirs.point(p));
        assert_eq!(
            (a.id, a.latitude.to_bits(), a.longitude.to_bits(), &*a.name, a.location_type),
            (b.id, b.latitude.to_bits(), b.longitude.to_bits(), &*b.name, b.location_type),
            "snap point {p}"
        );
    }

    let mut rng = QueryPointRng::new(0x5eed);
    let radii = [50.0, 200.0, 800.0, 1_609.344, 5_000.0];
    let mut non_empty = 0;
    for query in 0..300 {
        let centre = ours.point((rng.unit() * ours.point_count() as f64) as u32);
        // Half on a snap point, half near one.
        let jitter = if query % 2 == 0 { 0.0 } else { 0.01 };
        let area = Area::Circle {
            lat: centre.latitude + jitter * (rng.unit() - 0.5),
            lng: centre.longitude + jitter * (rng.unit() - 0.5),
            radius_m: radii[query % radii.len()],
        };
        let expected = answers(theirs, month, &area);
        non_empty += usize::from(!expected.is_empty());
        assert_eq!(answers(ours, month, &area), expected, "query {query}: {area:?}");
    }
    assert!(non_empty > 200, "only {non_empty} of 300 circles found crimes");

    let (ours, theirs) = (&built.boundaries, snapshot.neighbourhoods.boundaries());
    assert_eq!(ours.len(), theirs.len());
    assert!(!ours.is_empty());
    for number in 0..ours.len() {
        let (a, b) = (ours.boundary(number).unwrap(), theirs.boundary(number).unwrap());
        assert_eq!(a.bounding_box(), b.bounding_box(), "boundary {number}");
    }
    let inside = police_benches::points_inside_boundaries(theirs, 300, &mut rng);
    for (lat, lng) in inside {
        assert_eq!(ours.locate(lat, lng), theirs.locate(lat, lng), "{lat},{lng}");
    }
}
