//! Criterion micro-benchmarks on one generated national month (`GenerateOptions::national(1)`),
//! built into the in-memory index in process by `police_benches::InProcessIndex`: generated
//! into a temporary directory, read with police-store's parsers and fed to `IndexBuilder`
//! exactly as `Snapshot::load` would from an imported store. No database: these run on a
//! machine without PostgreSQL. Set up once per run, about half a minute.
//!
//! * `crimes_in_area/one_mile_dense_city_centre` and `…/one_mile_countryside`: the index alone,
//!   on the densest one-mile circle found by sampling and on the sparsest non-empty one.
//! * `crimes_in_area/neighbourhood_polygon_dense`: an 8-vertex polygon of about 1 km radius
//!   around the densest centre, the way the API takes `poly` (`parse_poly`, then the index).
//! * `render/crimes_json_dense`: the dense answer rendered as police.uk JSON, in MB/s.
//! * `locate_neighbourhood/inside_a_neighbourhood`: `BoundaryIndex::locate` on the national
//!   boundaries (from the archive's KMLs), at points known to be inside one.
//! * `huge_polygon/…`: a jagged 12,000-vertex polygon spanning Great Britain (about 240 KB of
//!   `poly`, issue 13 point 10), parsed and searched at the index level (the API refuses more
//!   than 10,000 vertices before this): `uk_12000_vertices_capped` with police.uk's cap of
//!   10,000 (refused: 503), `uk_12000_vertices_rare_category` for the rarest category, whose
//!   answer is under the cap (answered); `uk_10000_vertices_geojson_parse_only`: its first
//!   10,000 vertices as the v2 routes' GeoJSON POST body, at the API's vertex limit, parsed;
//!   `uk_10000_vertices_geojson_capped`: that body parsed and searched with the cap (refused).
//! * `places/build` and `places/search_high`: `/api/v2/places`' grouping of the snap points'
//!   names into places (once per snapshot, on the first search) and one search.
//!
//! Loading the snapshot out of PostgreSQL is measured by the `snapshot` bench instead.
//!
//! `cargo bench -p police-benches --bench national [-- FILTER]`; `POLICE_BENCH_MONTHS=36` sets up
//! 36 national months instead of one (several minutes and ~10 GB of temporary files).

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use police_benches::{
    one_mile_centres_by_density, one_mile_circle, points_inside_boundaries, regular_poly,
    InProcessIndex, QueryPointRng,
};
use police_index::crimes::CrimeIndex;
use police_index::places::PlaceNames;
use police_index::spatial::{parse_poly, Area, PreparedArea};
use police_index::Month;

/// Radius and corner count of the neighbourhood-sized polygon query.
const POLYGON_RADIUS_M: f64 = 1_000.0;
const POLYGON_VERTICES: usize = 8;

/// Vertices, centre and half-extents (degrees) of the Great Britain-spanning polygon.
const HUGE_POLYGON_VERTICES: usize = 12_000;
const HUGE_POLYGON_CENTRE: (f64, f64) = (54.0, -2.6);
const HUGE_POLYGON_HALF_EXTENT: (f64, f64) = (4.4, 4.2);

/// police.uk's cap on area queries.
const POLICE_UK_CAP: usize = 10_000;

/// Query points cycled through by the locate benchmark.
const LOCATE_POINTS: usize = 10_000;

/// What every benchmark queries: the index of the month, and the chosen areas.
struct NationalMonth {
    built: InProcessIndex,
    month: Month,
    dense_circle: Area,
    countryside_circle: Area,
    dense_poly: String,
    huge_poly: String,
    rare_category: u8,
}

impl NationalMonth {
    fn set_up() -> anyhow::Result<NationalMonth> {
        eprintln!("machine: {}", police_benches::machine_description());
        // `POLICE_BENCH_MONTHS` (default 1) generates more national months (the latest one is
        // the month queried), e.g. to see `places/build` over 36 months' snap points.
        let months: u32 = match std::env::var("POLICE_BENCH_MONTHS") {
            Ok(text) => {
                text.parse().map_err(|_| anyhow::anyhow!("POLICE_BENCH_MONTHS={text:?}"))?
            }
            Err(_) => 1,
        };
        eprintln!("setting up: generating and indexing {months} national month(s) (about half a minute each)");
        let built = InProcessIndex::national(months)?;
        let index = &built.index;
        let month = built.latest_crime_month.expect("a month of crimes was generated");
        let centres = one_mile_centres_by_density(index, month, 97);
        let (dense_crimes, dense_point) = centres[0];
        let (countryside_crimes, countryside_point) =
            *centres.iter().rev().find(|(crimes, _)| *crimes > 0).expect("some crimes");
        let dense_circle = one_mile_circle(index, dense_point);
        let countryside_circle = one_mile_circle(index, countryside_point);
        let centre = index.point(dense_point);
        let dense_poly =
            regular_poly(centre.latitude, centre.longitude, POLYGON_RADIUS_M, POLYGON_VERTICES);
        eprintln!(
            "data: {} crimes at {} snap points, {} neighbourhood boundaries; one-mile circles: \
             dense {dense_crimes} crimes, countryside {countryside_crimes}; dense polygon {} crimes",
            index.crime_count(),
            index.point_count(),
            built.boundaries.len(),
            polygon_query(index, month, &dense_poly).len(),
        );
        let huge_poly = jagged_poly(HUGE_POLYGON_VERTICES);
        // The category with the fewest crimes in the month: its answer stays under the cap.
        let everywhere = Area::Circle { lat: 54.0, lng: -2.6, radius_m: 2_000_000.0 };
        let rare_category = (0..15u8)
            .filter_map(|category| {
                let found = index.crimes_in_area(month, &everywhere, Some(category), None);
                let found = found.expect("no cap").len();
                (found > 0).then_some((found, category))
            })
            .min()
            .map(|(_, category)| category)
            .expect("some category has crimes");
        let huge = Area::Polygon(parse_poly(&huge_poly).expect("a valid polygon"));
        eprintln!(
            "huge polygon: {} vertices, {} bytes; inside: {} crimes, {} of category {rare_category}",
            HUGE_POLYGON_VERTICES,
            huge_poly.len(),
            index.crimes_in_area(month, &huge, None, None).expect("no cap").len(),
            index.crimes_in_area(month, &huge, Some(rare_category), None).expect("no cap").len(),
        );
        Ok(NationalMonth {
            built,
            month,
            dense_circle,
            countryside_circle,
            dense_poly,
            huge_poly,
            rare_category,
        })
    }
}

/// A `poly` query as the API answers it: parse, then search the index.
fn polygon_query<'a>(
    index: &'a CrimeIndex,
    month: Month,
    poly: &str,
) -> Vec<police_index::crimes::CrimeRef<'a>> {
    let area = Area::Polygon(parse_poly(poly).expect("a valid polygon"));
    index.crimes_in_area(month, &area, None, None).expect("no cap")
}

fn crimes_in_area(criterion: &mut Criterion, national: &NationalMonth) {
    let index = &national.built.index;
    let month = national.month;
    let mut group = criterion.benchmark_group("crimes_in_area");
    for (name, area) in [
        ("one_mile_dense_city_centre", &national.dense_circle),
        ("one_mile_countryside", &national.countryside_circle),
    ] {
        group.bench_function(name, |b| {
            b.iter_with_large_drop(|| {
                index.crimes_in_area(month, black_box(area), None, None).expect("no cap")
            })
        });
    }
    group.bench_function("neighbourhood_polygon_dense", |b| {
        b.iter_with_large_drop(|| polygon_query(index, month, black_box(&national.dense_poly)))
    });
    group.finish();
}

/// A star-shaped polygon of `vertices` corners around [`HUGE_POLYGON_CENTRE`] whose radius
/// wanders between 55 % and 100 % of the half-extents, like a coastline: most horizontal lines
/// cross its boundary many times. Seeded, so every run asks the same.
fn jagged_poly(vertices: usize) -> String {
    let mut rng = QueryPointRng::new(0x00C0_A571_1E5E_ED01);
    let (lat, lng) = HUGE_POLYGON_CENTRE;
    let (half_lat, half_lng) = HUGE_POLYGON_HALF_EXTENT;
    let mut scale: f64 = 0.8;
    (0..vertices)
        .map(|i| {
            scale = (scale + (rng.unit() - 0.5) * 0.08).clamp(0.55, 1.0);
            let angle = std::f64::consts::TAU * i as f64 / vertices as f64;
            let (v_lat, v_lng) =
                (lat + half_lat * scale * angle.sin(), lng + half_lng * scale * angle.cos());
            format!("{v_lat:.6},{v_lng:.6}")
        })
        .collect::<Vec<_>>()
        .join(":")
}

/// The huge polygon as the index sees it: parsed, then searched with police.uk's cap.
fn huge_polygon(criterion: &mut Criterion, national: &NationalMonth) {
    let index = &national.built.index;
    let month = national.month;
    let mut group = criterion.benchmark_group("huge_polygon");
    group.sample_size(10);
    // The two steps every such request pays before any point is looked at.
    group.bench_function("uk_12000_vertices_parse_only", |b| {
        b.iter(|| parse_poly(black_box(&national.huge_poly)).expect("valid"))
    });
    // The v2 routes' POST body at the vertex limit: the huge polygon's first 10,000 vertices
    // as a GeoJSON Polygon (closed, positions [longitude, latitude]).
    let geojson = geojson_polygon(&national.huge_poly, police_api::params::MAX_AREA_VERTICES - 1);
    group.bench_function("uk_10000_vertices_geojson_parse_only", |b| {
        b.iter(|| police_api::params::geojson_area(black_box(geojson.as_bytes())).expect("valid"))
    });
    group.bench_function("uk_10000_vertices_geojson_capped", |b| {
        b.iter_with_large_drop(|| {
            let area = police_api::params::geojson_area(black_box(geojson.as_bytes()));
            let area = area.expect("valid");
            index.crimes_in_area(month, &area, None, Some(POLICE_UK_CAP)).map(|c| c.len())
        })
    });
    let parsed = Area::Polygon(parse_poly(&national.huge_poly).expect("valid"));
    group.bench_function("uk_12000_vertices_prepare_only", |b| {
        b.iter(|| PreparedArea::new(black_box(&parsed)).contains(54.0, -2.6))
    });
    for (name, category) in [
        ("uk_12000_vertices_capped", None),
        ("uk_12000_vertices_rare_category", Some(national.rare_category)),
    ] {
        group.bench_function(name, |b| {
            b.iter_with_large_drop(|| {
                let area =
                    Area::Polygon(parse_poly(black_box(&national.huge_poly)).expect("valid"));
                index.crimes_in_area(month, &area, category, Some(POLICE_UK_CAP)).map(|c| c.len())
            })
        });
    }
    group.finish();
}

/// The first `vertices` points of a `poly` string as a closed GeoJSON Polygon.
fn geojson_polygon(poly: &str, vertices: usize) -> String {
    let mut positions: Vec<String> = poly
        .split(':')
        .take(vertices)
        .map(|point| {
            let (lat, lng) = point.split_once(',').expect("lat,lng");
            format!("[{lng},{lat}]")
        })
        .collect();
    positions.push(positions[0].clone());
    format!(r#"{{"type":"Polygon","coordinates":[[{}]]}}"#, positions.join(","))
}

fn render(criterion: &mut Criterion, national: &NationalMonth) {
    let index = &national.built.index;
    let crimes = index.crimes_in_area(national.month, &national.dense_circle, None, None);
    let crimes = crimes.expect("no cap");
    // Prepared once per snapshot by the server, as here.
    let locations = police_api::json_writer::PointLocations::new(index);
    let bytes = police_api::render::crimes_json(&crimes, &locations).len();
    let mut group = criterion.benchmark_group("render");
    // Decimal units, so criterion reports MB/s rather than MiB/s.
    group.throughput(Throughput::BytesDecimal(bytes as u64));
    group.bench_function("crimes_json_dense", |b| {
        b.iter_with_large_drop(|| police_api::render::crimes_json(black_box(&crimes), &locations))
    });
    group.finish();
}

fn locate_neighbourhood(criterion: &mut Criterion, national: &NationalMonth) {
    let boundaries = &national.built.boundaries;
    let mut rng = QueryPointRng::new(0x9e37_79b9_7f4a_7c15);
    let points = points_inside_boundaries(boundaries, LOCATE_POINTS, &mut rng);
    let mut group = criterion.benchmark_group("locate_neighbourhood");
    group.bench_function("inside_a_neighbourhood", |b| {
        let mut next = points.iter().cycle();
        b.iter(|| {
            let &(lat, lng) = next.next().expect("endless");
            boundaries.locate(black_box(lat), black_box(lng))
        })
    });
    group.finish();
}

fn places(criterion: &mut Criterion, national: &NationalMonth) {
    let index = &national.built.index;
    let mut group = criterion.benchmark_group("places");
    group.sample_size(10);
    group.bench_function("build", |b| b.iter_with_large_drop(|| PlaceNames::build(index)));
    let built = PlaceNames::build(index);
    eprintln!(
        "places: {} names, {} places over {} snap points",
        built.name_count(),
        built.place_count(),
        index.point_count()
    );
    let query = police_index::places::words("high");
    group.bench_function("search_high", |b| b.iter(|| built.search(black_box(&query), 10).1));
    group.finish();
}

fn main() -> anyhow::Result<()> {
    let mut criterion = Criterion::default().configure_from_args();
    let national = NationalMonth::set_up()?;
    crimes_in_area(&mut criterion, &national);
    render(&mut criterion, &national);
    locate_neighbourhood(&mut criterion, &national);
    huge_polygon(&mut criterion, &national);
    places(&mut criterion, &national);
    criterion.final_summary();
    Ok(())
}
