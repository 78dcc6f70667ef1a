//! Unit tests, and property tests comparing the index with a brute-force scan: fixed data
//! sets (deterministic SplitMix64) queried with proptest strategies, which shrink a failing
//! query to a minimal one.

use std::cell::Cell;
use std::sync::LazyLock;
use std::time::Instant;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

use super::*;
use crate::neighbourhoods::Boundary;
use crate::testing::{check as check_cases, log_range};

/// SplitMix64: a tiny deterministic PRNG, enough for generating test cases.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Roughly normal, mean 0, standard deviation 1.
    fn gauss(&mut self) -> f64 {
        (0..6).map(|_| self.unit()).sum::<f64>() * std::f64::consts::SQRT_2 - 6.0 / 2.0_f64.sqrt()
    }

    /// Log-uniform in [lo, hi].
    fn log_range(&mut self, lo: f64, hi: f64) -> f64 {
        self.range(lo.ln(), hi.ln()).exp()
    }
}

const MIN_LAT: f64 = 49.9;
const MAX_LAT: f64 = 58.7;
const MIN_LNG: f64 = -6.4;
const MAX_LNG: f64 = 1.8;

/// Grid lines some data points lie on exactly (and rectangle edges are drawn along).
fn grid_lat(i: usize) -> f64 {
    MIN_LAT + i as f64 * 0.05
}

fn grid_lng(j: usize) -> f64 {
    MIN_LNG + j as f64 * 0.05
}

const GRID_ROWS: usize = 176;
const GRID_COLS: usize = 164;

/// Points clustered like UK towns, plus uniform scatter, points exactly on grid lines and exact
/// duplicates of earlier points.
fn uk_points(rng: &mut Rng, n: usize) -> Vec<(f64, f64)> {
    let towns: Vec<(f64, f64, f64)> = (0..40)
        .map(|_| {
            (rng.range(MIN_LAT, MAX_LAT), rng.range(MIN_LNG, MAX_LNG), rng.log_range(0.005, 0.15))
        })
        .collect();
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(n);
    while points.len() < n {
        let kind = rng.unit();
        let p = if kind < 0.72 || points.is_empty() {
            let (lat, lng, spread) = towns[rng.below(towns.len())];
            (lat + rng.gauss() * spread, lng + rng.gauss() * spread * 1.7)
        } else if kind < 0.82 {
            (rng.range(MIN_LAT, MAX_LAT), rng.range(MIN_LNG, MAX_LNG))
        } else if kind < 0.86 {
            (grid_lat(rng.below(GRID_ROWS)), rng.range(MIN_LNG, MAX_LNG))
        } else if kind < 0.90 {
            (rng.range(MIN_LAT, MAX_LAT), grid_lng(rng.below(GRID_COLS)))
        } else if kind < 0.92 {
            (grid_lat(rng.below(GRID_ROWS)), grid_lng(rng.below(GRID_COLS)))
        } else {
            points[rng.below(points.len())]
        };
        points.push(p);
    }
    points
}

fn brute_query(points: &[(f64, f64)], area: &Area) -> Vec<u32> {
    (0..points.len() as u32)
        .filter(|&i| area.contains(points[i as usize].0, points[i as usize].1))
        .collect()
}

fn brute_nearest(points: &[(f64, f64)], lat: f64, lng: f64) -> Option<(u32, f64)> {
    let mut best: Option<(u32, f64)> = None;
    for (i, &(p_lat, p_lng)) in points.iter().enumerate() {
        if !is_valid_coordinate(p_lat, p_lng) {
            continue;
        }
        let d = haversine_m(lat, lng, p_lat, p_lng);
        if best.is_none_or(|(_, best_d)| d < best_d) {
            best = Some((i as u32, d));
        }
    }
    best
}

/// Compares the index with brute force; returns the number of matches.
fn check(index: &SpatialIndex, points: &[(f64, f64)], area: &Area) -> Result<usize, TestCaseError> {
    let expected = brute_query(points, area);
    let got = index.query(area);
    prop_assert_eq!(got, expected.clone(), "index and brute force differ for {:?}", area);
    Ok(expected.len())
}

fn polygon_area(vertices: Vec<(f64, f64)>) -> Option<Area> {
    Polygon::new(vertices).ok().map(Area::Polygon)
}

/// Vertices around a centre at the given angles, sorted; each spoke's `t` in [0, 1) puts its
/// vertex between `inner` and 1 times the radius, so `inner` < 1 makes a concave star.
fn star_ring(
    lat: f64,
    lng: f64,
    radius_deg: f64,
    inner: f64,
    spokes: Vec<(f64, f64)>,
) -> Vec<(f64, f64)> {
    let mut spokes = spokes;
    spokes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let lng_scale = 1.0 / lat.to_radians().cos().max(0.2);
    spokes
        .into_iter()
        .map(|(a, t)| {
            let r = radius_deg * (inner + (1.0 - inner) * t);
            (
                (lat + r * a.sin()).clamp(-90.0, 90.0),
                (lng + r * a.cos() * lng_scale).clamp(-180.0, 180.0),
            )
        })
        .collect()
}

/// A star ring (see [`star_ring`]) with `vertices` vertices.
fn star(
    centre: impl Strategy<Value = (f64, f64)>,
    radius_deg: impl Strategy<Value = f64>,
    inner: impl Strategy<Value = f64>,
    vertices: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<(f64, f64)>> {
    (centre, radius_deg, inner, vec((0.0..std::f64::consts::TAU, 0.0..1.0), vertices))
        .prop_map(|((lat, lng), r, inner, spokes)| star_ring(lat, lng, r, inner, spokes))
}

/// An axis-aligned comb: a base band with `teeth` teeth pointing north.
fn comb(x0: f64, x1: f64, y0: f64, base_top: f64, y_top: f64, teeth: usize) -> Vec<(f64, f64)> {
    let w = (x1 - x0) / (teeth as f64 - 0.5);
    let mut ring = vec![(y0, x0), (y0, x1)];
    for i in (0..teeth).rev() {
        let left = x0 + i as f64 * w;
        ring.push((y_top, if i == teeth - 1 { x1 } else { left + w / 2.0 }));
        ring.push((y_top, left));
        if i > 0 {
            ring.push((base_top, left));
            ring.push((base_top, x0 + (i - 1) as f64 * w + w / 2.0));
        }
    }
    ring
}

/// The data set of the UK property tests: 20,000 points like [`uk_points`] makes them.
static UK_POINTS: LazyLock<Vec<(f64, f64)>> =
    LazyLock::new(|| uk_points(&mut Rng(0x5EED_0001), 20_000));

/// One of [`UK_POINTS`].
fn uk_point() -> impl Strategy<Value = (f64, f64)> + Clone {
    any::<Index>().prop_map(|i| UK_POINTS[i.index(UK_POINTS.len())])
}

/// A centre for a query: a data point, anywhere in the data's box, or around it.
fn uk_centre() -> impl Strategy<Value = (f64, f64)> + Clone {
    prop_oneof![
        2 => uk_point(),
        1 => (MIN_LAT..MAX_LAT, MIN_LNG..MAX_LNG),
        1 => (45.0..65.0, -15.0..10.0),
    ]
}

/// A point on the edge of the data's box.
fn uk_box_edge() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        (Just(MIN_LAT), MIN_LNG..MAX_LNG),
        (Just(MAX_LAT), MIN_LNG..MAX_LNG),
        (MIN_LAT..MAX_LAT, Just(MIN_LNG)),
        (MIN_LAT..MAX_LAT, Just(MAX_LNG)),
    ]
}

/// A circle's radius: exactly the distance to some point (which then lies on the circle), or
/// one of the given metres.
#[derive(Debug, Clone)]
enum Radius {
    ToPoint(Index),
    Metres(f64),
}

impl Radius {
    fn metres(&self, centre: (f64, f64), points: &[(f64, f64)]) -> f64 {
        match self {
            Radius::ToPoint(i) => {
                let (p_lat, p_lng) = points[i.index(points.len())];
                haversine_m(centre.0, centre.1, p_lat, p_lng)
            }
            Radius::Metres(m) => *m,
        }
    }
}

/// Vertices picked among the data points near `centre` (within `reach` degrees, widened until
/// there are three), ordered by angle around their centroid: a star-shaped polygon whose
/// vertices are data points.
fn around_data_points(
    centre: (f64, f64),
    reach: f64,
    k: usize,
    picks: &[Index],
) -> Vec<(f64, f64)> {
    let (c_lat, c_lng) = centre;
    let mut reach = reach;
    let mut near: Vec<(f64, f64)> = Vec::new();
    while near.len() < 3 {
        near = UK_POINTS
            .iter()
            .copied()
            .filter(|p| (p.0 - c_lat).abs() < reach && (p.1 - c_lng).abs() < reach * 1.7)
            .collect();
        near.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1)));
        near.dedup();
        reach *= 2.0;
    }
    let k = k.min(near.len());
    for (i, pick) in picks.iter().enumerate().take(k) {
        let j = i + pick.index(near.len() - i);
        near.swap(i, j);
    }
    let mut chosen = near[..k].to_vec();
    let m_lat = chosen.iter().map(|p| p.0).sum::<f64>() / k as f64;
    let m_lng = chosen.iter().map(|p| p.1).sum::<f64>() / k as f64;
    chosen.sort_by(|p, q| {
        (p.0 - m_lat).atan2(p.1 - m_lng).total_cmp(&(q.0 - m_lat).atan2(q.1 - m_lng))
    });
    chosen
}

/// Polygons of ten kinds, over the UK data set.
fn uk_polygon() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop_oneof![
        // Convex, 1 m .. 2 degrees across.
        star(uk_centre(), log_range(1e-5, 2.0), Just(1.0), 3..13),
        // Concave stars, from tiny (about 1 m) to larger than a county.
        star(
            uk_centre(),
            prop_oneof![1 => Just(1e-5), 2 => log_range(1e-3, 1.5)],
            Just(0.15),
            5..45
        ),
        // Larger than the whole data set.
        star(Just((54.3, -2.3)), 9.0..20.0, prop_oneof![Just(1.0), Just(0.6)], 3..33),
        // Axis-aligned rectangles on the grid: data points lie on edges and corners.
        (0..GRID_ROWS - 20, 0..GRID_COLS - 20, 1..20usize, 1..20usize).prop_map(
            |(i, j, di, dj)| {
                let (a, b, c, d) = (grid_lat(i), grid_lng(j), grid_lat(i + di), grid_lng(j + dj));
                vec![(a, b), (a, d), (c, d), (c, b)]
            }
        ),
        // Combs on the grid.
        (0..GRID_ROWS - 30, 0..GRID_COLS - 30, 2..10usize, 2..30usize, 2..30usize).prop_map(
            |(i, j, teeth, w, h)| {
                comb(
                    grid_lng(j),
                    grid_lng(j + w),
                    grid_lat(i),
                    grid_lat(i + 1),
                    grid_lat(i + h),
                    teeth,
                )
            }
        ),
        // Random (off-grid) combs.
        (uk_centre(), log_range(1e-4, 1.0), log_range(1e-4, 1.0), 2..14usize).prop_map(
            |((lat, lng), w, h, teeth)| comb(lng, lng + w, lat, lat + h * 0.2, lat + h, teeth)
        ),
        // Vertices at data points (star-shaped around their centroid).
        (uk_point(), log_range(1e-3, 0.5), 3..18usize, vec(any::<Index>(), 17))
            .prop_map(|(centre, reach, k, picks)| around_data_points(centre, reach, k, &picks)),
        // Self-touching: two rectangles sharing a grid corner, traced as one ring.
        (0..GRID_ROWS - 20, 0..GRID_COLS - 20, 1..10usize, 10..20usize, 1..10usize, 10..20usize)
            .prop_map(|(i, j, di1, di2, dj1, dj2)| {
                let (y0, y1, y2) = (grid_lat(i), grid_lat(i + di1), grid_lat(i + di2));
                let (x0, x1, x2) = (grid_lng(j), grid_lng(j + dj1), grid_lng(j + dj2));
                vec![(y0, x0), (y0, x1), (y1, x1), (y1, x2), (y2, x2), (y2, x1), (y1, x1), (y1, x0)]
            }),
        // A square with a zero-width spike along a grid line, or a bow-tie.
        (0..GRID_ROWS - 30, 0..GRID_COLS - 30, 0..20usize, 1..9usize, any::<bool>()).prop_map(
            |(i, j, spike, m, bow_tie)| {
                let (y0, y1, y2) = (grid_lat(i), grid_lat(i + 10), grid_lat(i + 10 + spike));
                let (x0, xm, x1) = (grid_lng(j), grid_lng(j + m), grid_lng(j + 10));
                if bow_tie {
                    vec![(y0, x0), (y1, x1), (y0, x1), (y1, x0)]
                } else {
                    vec![(y0, x0), (y0, x1), (y1, x1), (y1, xm), (y2, xm), (y1, xm), (y1, x0)]
                }
            }
        ),
        // Random (often self-intersecting) rings: even-odd.
        (uk_centre(), log_range(1e-3, 1.0), vec((-1.0..1.0, -1.0..1.0), 3..15)).prop_map(
            |((lat, lng), r, offsets)| {
                offsets.into_iter().map(|(u, v)| (lat + r * u, lng + r * v * 1.7)).collect()
            }
        ),
    ]
}

#[test]
fn spatial_haversine_known_distances() {
    let one_degree = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    assert!((haversine_m(52.0, -1.0, 53.0, -1.0) - one_degree).abs() < 1e-6);
    let london_paris = haversine_m(51.5074, -0.1278, 48.8566, 2.3522);
    assert!((london_paris - 343_560.0).abs() < 1_000.0, "{london_paris}");
    assert_eq!(haversine_m(52.1, 0.5, 52.1, 0.5), 0.0);
    assert_eq!(haversine_m(1.0, 2.0, 3.0, 4.0), haversine_m(3.0, 4.0, 1.0, 2.0));
    let across = haversine_m(0.0, 179.9, 0.0, -179.9);
    assert!((across - 0.2 * one_degree).abs() < 1e-3, "{across}");
    let antipodes = haversine_m(0.0, 0.0, 0.0, 180.0);
    assert!((antipodes - EARTH_RADIUS_M * std::f64::consts::PI).abs() < 1e-6);
}

#[test]
fn spatial_parse_poly_docs_example() {
    let poly = parse_poly("52.268,0.543:52.794,0.238:52.130,0.478").unwrap();
    assert_eq!(poly.vertices(), vec![(52.268, 0.543), (52.794, 0.238), (52.130, 0.478)]);
    assert!(poly.contains(52.4, 0.42));
    assert!(!poly.contains(52.4, 0.6));
    assert_eq!(poly.as_geo().exterior().0.len(), 4, "geo-types ring is explicitly closed");
}

#[test]
fn spatial_parse_poly_closing_vertex_and_spaces() {
    let closed = parse_poly("52.268,0.543:52.794,0.238:52.130,0.478:52.268,0.543").unwrap();
    assert_eq!(closed, parse_poly("52.268,0.543:52.794,0.238:52.130,0.478").unwrap());
    let spaced = parse_poly(" 52.268 , 0.543 : 52.794,0.238 :52.130,\t0.478 ").unwrap();
    assert_eq!(spaced, closed);
    assert_eq!(parse_poly("-1,-2:1,-2:0,2").unwrap().vertices().len(), 3);
}

#[test]
fn spatial_parse_poly_errors() {
    let two = parse_poly("52.268,0.543:52.794,0.238");
    assert_eq!(two, Err(AreaError::TooFewVertices { found: 2 }));
    assert_eq!(two.unwrap_err().to_string(), "poly must have at least 3 distinct points, found 2");
    assert_eq!(
        parse_poly("52.268,0.543:52.794,0.238:52.268,0.543"),
        Err(AreaError::TooFewVertices { found: 2 })
    );
    assert_eq!(parse_poly("52.268,0.543"), Err(AreaError::TooFewVertices { found: 1 }));
    let malformed = [
        "",
        "   ",
        "garbage",
        "52.268;0.543:52.794;0.238:52.130;0.478",
        "52.268:0.543:52.794",
        "52.268,0.543,1:52.794,0.238:52.130,0.478",
        "52.268,0.543:52.794,0.238:52.130,0.478:",
        ":52.268,0.543:52.794,0.238:52.130,0.478",
        "52.268,0.543::52.794,0.238:52.130,0.478",
        "52.268,:52.794,0.238:52.130,0.478",
        "52.268,0.543:52.794,0.238:52.130,abc",
        "91,0.543:52.794,0.238:52.130,0.478",
        "52.268,180.5:52.794,0.238:52.130,0.478",
        "-90.001,0:52.794,0.238:52.130,0.478",
        "NaN,0.543:52.794,0.238:52.130,0.478",
        "inf,0.543:52.794,0.238:52.130,0.478",
        "52.268,-infinity:52.794,0.238:52.130,0.478",
        "52.2 68,0.543:52.794,0.238:52.130,0.478",
    ];
    for text in malformed {
        match parse_poly(text) {
            Err(AreaError::Malformed { reason }) => assert!(!reason.is_empty()),
            other => panic!("{text:?} should be malformed, got {other:?}"),
        }
    }
    let err = parse_poly("91,0.543:52.794,0.238:52.130,0.478").unwrap_err();
    assert_eq!(err.to_string(), "malformed poly: latitude 91 at point 1 is outside [-90, 90]");
    let err = parse_poly("52.268,0.543:52.794,0.238:52.130,0.478:").unwrap_err();
    assert_eq!(err.to_string(), "malformed poly: point 4 is empty");
    // Extremes are valid coordinates.
    assert!(parse_poly("90,-180:-90,-180:0,180").is_ok());
}

#[test]
fn spatial_polygon_rejects_collinear() {
    assert_eq!(parse_poly("52,0:52.5,0.5:53,1"), Err(AreaError::NoArea));
    assert_eq!(parse_poly("52,0:53,0:52.5,0:52.2,0"), Err(AreaError::NoArea));
    assert_eq!(
        AreaError::NoArea.to_string(),
        "poly encloses no area: all its points lie on one straight line"
    );
    assert!(parse_poly("52,0:53,1:52.5,0.5000001").is_ok());
    assert_eq!(
        Polygon::new(vec![(0.0, 0.0), (f64::NAN, 1.0), (1.0, 1.0)]),
        Err(AreaError::Malformed { reason: "point 2 is not a finite number".into() })
    );
}

#[test]
fn spatial_polygon_boundary_rule() {
    // Unit square in (lat, lng), plus a concave notch cut from the top.
    let square = Polygon::new(vec![(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]).unwrap();
    for p in [(0.0, 0.0), (1.0, 1.0), (0.0, 0.5), (0.5, 1.0), (1.0, 0.25), (0.75, 0.0), (0.5, 0.5)]
    {
        assert!(square.contains(p.0, p.1), "{p:?}");
    }
    for p in [(-1e-6, 0.5), (0.5, 1.000001), (2.0, 0.5), (0.5, -0.5)] {
        assert!(!square.contains(p.0, p.1), "{p:?}");
    }
    assert!(square.contains(1.0 + 0.5e-9, 0.5), "within the tolerance counts as boundary");
    let notch = Polygon::new(vec![
        (0.0, 0.0),
        (0.0, 3.0),
        (2.0, 3.0),
        (2.0, 2.0),
        (1.0, 1.5),
        (2.0, 1.0),
        (2.0, 0.0),
    ])
    .unwrap();
    assert!(notch.contains(1.0, 1.5), "notch tip is a vertex");
    assert!(notch.contains(1.5, 1.25), "on a sloped edge");
    assert!(!notch.contains(1.8, 1.5), "inside the notch is outside");
    assert!(notch.contains(1.8, 0.5) && notch.contains(1.8, 2.5));
    assert!(!square.contains(f64::NAN, 0.5));
}

#[test]
fn spatial_polygon_even_odd_and_self_touching() {
    // Bow-tie: edges cross at (0.5, 0.5); the two triangles left and right are inside.
    let bow = Polygon::new(vec![(0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0)]).unwrap();
    assert!(bow.contains(0.5, 0.2) && bow.contains(0.5, 0.8));
    assert!(!bow.contains(0.2, 0.5) && !bow.contains(0.8, 0.5));
    assert!(bow.contains(0.5, 0.5), "the crossing point is on the boundary");
    // Two squares touching at (1, 1), traced as one ring.
    let eight = Polygon::new(vec![
        (0.0, 0.0),
        (0.0, 1.0),
        (1.0, 1.0),
        (1.0, 2.0),
        (2.0, 2.0),
        (2.0, 1.0),
        (1.0, 1.0),
        (1.0, 0.0),
    ])
    .unwrap();
    assert!(eight.contains(0.5, 0.5) && eight.contains(1.5, 1.5) && eight.contains(1.0, 1.0));
    assert!(!eight.contains(1.5, 0.5) && !eight.contains(0.5, 1.5));
    // A zero-width spike out of a square: its points are boundary, hence inside.
    let spike = Polygon::new(vec![
        (0.0, 0.0),
        (0.0, 1.0),
        (1.0, 1.0),
        (1.0, 0.5),
        (2.0, 0.5),
        (1.0, 0.5),
        (1.0, 0.0),
    ])
    .unwrap();
    assert!(spike.contains(1.5, 0.5) && spike.contains(2.0, 0.5));
    assert!(!spike.contains(1.5, 0.50001));
}

#[test]
fn spatial_area_bounding_boxes() {
    let circle = Area::Circle { lat: 52.0, lng: -1.0, radius_m: ONE_MILE_M };
    let (min_lat, min_lng, max_lat, max_lng) = circle.bounding_box();
    assert!(min_lat < 52.0 - 0.0144 && max_lat > 52.0 + 0.0144 && max_lat < 52.0 + 0.0146);
    assert!(min_lng < -1.0 - 0.0235 && max_lng > -1.0 + 0.0235 && max_lng < -1.0 + 0.024);
    let across = Area::Circle { lat: 0.0, lng: 179.99, radius_m: 10_000.0 };
    assert_eq!((across.bounding_box().1, across.bounding_box().3), (-180.0, 180.0));
    let polar = Area::Circle { lat: 89.99, lng: 0.0, radius_m: 10_000.0 };
    assert_eq!(polar.bounding_box().2, 90.0);
    assert_eq!((polar.bounding_box().1, polar.bounding_box().3), (-180.0, 180.0));
    for empty in [
        Area::Circle { lat: 999.0, lng: 0.0, radius_m: 10.0 },
        Area::Circle { lat: 0.0, lng: 0.0, radius_m: -1.0 },
        Area::Circle { lat: 0.0, lng: 0.0, radius_m: f64::NAN },
    ] {
        let (a, b, c, d) = empty.bounding_box();
        assert!(a > c && b > d);
        assert!(!empty.contains(0.0, 0.0));
    }
    let poly = Area::Polygon(parse_poly("52,0:53,1:52,1").unwrap());
    let (a, b, c, d) = poly.bounding_box();
    assert!(a < 52.0 && b < 0.0 && c > 53.0 && d > 1.0 && c < 53.000001);
}

#[test]
fn spatial_index_basics() {
    let empty = SpatialIndex::new(&[]);
    assert!(empty.is_empty() && empty.nearest(52.0, 0.0).is_none());
    assert!(empty.query(&Area::Circle { lat: 52.0, lng: 0.0, radius_m: 1e7 }).is_empty());

    let points = [(52.0, 0.0), (f64::NAN, 0.0), (52.0, 0.0), (91.0, 0.0), (52.001, 0.0)];
    let index = SpatialIndex::new(&points);
    assert_eq!(index.len(), 3);
    assert_eq!(index.query(&Area::Circle { lat: 52.0, lng: 0.0, radius_m: 200.0 }), vec![0, 2, 4]);
    assert_eq!(index.query(&Area::Circle { lat: 52.0, lng: 0.0, radius_m: 0.0 }), vec![0, 2]);
    assert_eq!(index.nearest(52.0, 0.0), Some((0, 0.0)), "ties go to the lowest id");
    assert_eq!(index.nearest(52.0008, 0.0).map(|(id, _)| id), Some(4));
    assert_eq!(index.nearest(999.0, 0.0), None);
    assert!(index.query(&Area::Circle { lat: 999.0, lng: 0.0, radius_m: 1e9 }).is_empty());
}

#[test]
fn spatial_property_circles_uk() {
    let points: &[(f64, f64)] = &UK_POINTS;
    let index = SpatialIndex::new(points);
    assert_eq!(index.len(), points.len());
    let cases = 600;
    let nonempty = Cell::new(0);
    let centre = prop_oneof![4 => uk_centre(), 1 => uk_box_edge()];
    let radius = prop_oneof![
        2 => any::<Index>().prop_map(Radius::ToPoint),
        1 => Just(Radius::Metres(ONE_MILE_M)),
        10 => log_range(1.0, 300_000.0).prop_map(Radius::Metres),
    ];
    check_cases(cases, (centre, radius), |((lat, lng), radius)| {
        let radius_m = radius.metres((lat, lng), points);
        let found = check(&index, points, &Area::Circle { lat, lng, radius_m })?;
        nonempty.set(nonempty.get() + usize::from(found > 0));
        Ok(())
    });
    assert!(nonempty.get() > cases as usize / 2, "too few non-empty circles: {}", nonempty.get());
}

#[test]
fn spatial_property_polygons_uk() {
    let points: &[(f64, f64)] = &UK_POINTS;
    let index = SpatialIndex::new(points);
    let (built, nonempty, rejected) = (Cell::new(0), Cell::new(0), Cell::new(0));
    check_cases(700, uk_polygon(), |vertices| {
        let Some(area) = polygon_area(vertices) else {
            rejected.set(rejected.get() + 1);
            return Ok(());
        };
        built.set(built.get() + 1);
        let found = check(&index, points, &area)?;
        nonempty.set(nonempty.get() + usize::from(found > 0));
        Ok(())
    });
    let (built, nonempty, rejected) = (built.get(), nonempty.get(), rejected.get());
    assert!(rejected < 5, "too many degenerate polygons: {rejected}");
    assert!(nonempty > built / 2, "too few non-empty polygons: {nonempty} of {built}");
}

#[test]
fn spatial_property_nearest_uk() {
    let points: &[(f64, f64)] = &UK_POINTS;
    let index = SpatialIndex::new(points);
    let at = prop_oneof![
        1 => uk_point(),
        1 => (uk_point(), -1e-4..1e-4, -1e-4..1e-4).prop_map(|((lat, lng), a, b)| (lat + a, lng + b)),
        2 => uk_centre(),
        1 => (0..GRID_ROWS, 0..GRID_COLS).prop_map(|(i, j)| (grid_lat(i), grid_lng(j))),
        1 => (-90.0..90.0, -180.0..180.0),
    ];
    check_cases(2_000, at, |(lat, lng)| {
        prop_assert_eq!(index.nearest(lat, lng), brute_nearest(points, lat, lng));
        Ok(())
    });
}

/// Points over the whole globe, including the poles and the antimeridian: the box logic for
/// caps around a pole and across ±180° longitude.
static GLOBAL_POINTS: LazyLock<Vec<(f64, f64)>> = LazyLock::new(|| {
    let mut rng = Rng(0x5EED_0004);
    let mut points: Vec<(f64, f64)> = (0..6_000)
        .map(|_| (rng.range(-1.0, 1.0).asin().to_degrees(), rng.range(-180.0, 180.0)))
        .collect();
    for _ in 0..300 {
        points.push((90.0, rng.range(-180.0, 180.0)));
        points.push((-90.0, rng.range(-180.0, 180.0)));
        points.push((rng.range(-90.0, 90.0), 180.0));
        points.push((rng.range(-90.0, 90.0), -180.0));
        points.push((rng.range(-89.0, 89.0), 180.0 - rng.log_range(1e-9, 1.0)));
        points.push((rng.range(-89.0, 89.0), -180.0 + rng.log_range(1e-9, 1.0)));
        points.push((90.0 - rng.log_range(1e-9, 2.0), rng.range(-180.0, 180.0)));
        points.push((-90.0 + rng.log_range(1e-9, 2.0), rng.range(-180.0, 180.0)));
    }
    points
});

#[test]
fn spatial_property_global_edges() {
    let points: &[(f64, f64)] = &GLOBAL_POINTS;
    let index = SpatialIndex::new(points);
    let sign = || prop_oneof![Just(1.0), Just(-1.0)];
    let centre = prop_oneof![
        any::<Index>().prop_map(|i| GLOBAL_POINTS[i.index(GLOBAL_POINTS.len())]),
        (-90.0..90.0, sign()).prop_map(|(lat, s)| (lat, s * 180.0)),
        (sign(), log_range(1e-9, 5.0), -180.0..180.0).prop_map(|(s, d, lng)| (s * (90.0 - d), lng)),
        (-90.0..90.0, sign(), log_range(1e-9, 1.0)).prop_map(|(lat, s, d)| (lat, s * (180.0 - d))),
        (-90.0..90.0, -180.0..180.0),
    ]
    .prop_map(|(lat, lng): (f64, f64)| (lat.clamp(-90.0, 90.0), lng.clamp(-180.0, 180.0)));
    let radius = prop_oneof![
        1 => any::<Index>().prop_map(Radius::ToPoint),
        8 => log_range(1.0, 21_000_000.0).prop_map(Radius::Metres),
    ];
    check_cases(1_500, (centre, radius), |((lat, lng), radius)| {
        let radius_m = radius.metres((lat, lng), points);
        check(&index, points, &Area::Circle { lat, lng, radius_m })?;
        prop_assert_eq!(index.nearest(lat, lng), brute_nearest(points, lat, lng));
        Ok(())
    });
}

/// 750,000 snap points, 1,000 one-mile circle queries in a dense area. Run with
/// `cargo test --release -p police-index spatial -- --ignored --nocapture`.
#[test]
#[ignore]
fn spatial_timing_750k() {
    let mut rng = Rng(0x5EED_0750);
    // A dense central-London core inside a wider London, big cities, and many towns.
    let mut towns: Vec<(f64, f64, f64, f64)> =
        vec![(51.51, -0.12, 0.03, 10.0), (51.51, -0.12, 0.15, 12.0)];
    for _ in 0..12 {
        towns.push((rng.range(50.5, 55.0), rng.range(-3.5, 0.5), 0.05, 2.0));
    }
    for _ in 0..2_000 {
        towns.push((
            rng.range(MIN_LAT, 55.8),
            rng.range(-5.7, 1.7),
            rng.log_range(0.005, 0.05),
            0.2,
        ));
    }
    let total_weight: f64 = towns.iter().map(|t| t.3).sum();
    let points: Vec<(f64, f64)> = (0..750_000)
        .map(|_| {
            let mut pick = rng.range(0.0, total_weight);
            let town = towns
                .iter()
                .find(|t| {
                    pick -= t.3;
                    pick < 0.0
                })
                .unwrap_or(&towns[0]);
            let lat = town.0 + rng.gauss() * town.2;
            let lng = town.1 + rng.gauss() * town.2 * 1.6;
            ((lat * 1e6).round() / 1e6, (lng * 1e6).round() / 1e6)
        })
        .collect();

    let start = Instant::now();
    let index = SpatialIndex::new(&points);
    let build = start.elapsed();

    let centres: Vec<(f64, f64)> = (0..1_000)
        .map(|_| (51.51 + rng.range(-0.03, 0.03), -0.12 + rng.range(-0.05, 0.05)))
        .collect();
    let mut results = 0usize;
    let mut times = Vec::with_capacity(centres.len());
    let start = Instant::now();
    for &(lat, lng) in &centres {
        let t = Instant::now();
        let ids = index.query(&Area::Circle { lat, lng, radius_m: ONE_MILE_M });
        times.push(t.elapsed());
        results += std::hint::black_box(ids).len();
    }
    let circles = start.elapsed();
    times.sort();

    let start = Instant::now();
    for &(lat, lng) in &centres {
        std::hint::black_box(index.nearest(lat, lng));
    }
    let nearest = start.elapsed();
    let far: Vec<(f64, f64)> =
        (0..100).map(|_| (rng.range(-90.0, 90.0), rng.range(-180.0, 180.0))).collect();
    let start = Instant::now();
    for &(lat, lng) in &far {
        std::hint::black_box(index.nearest(lat, lng));
    }
    let far_nearest = start.elapsed() / 100;

    let poly = Area::Polygon(
        parse_poly("51.52,-0.14:51.53,-0.10:51.51,-0.08:51.49,-0.11:51.505,-0.12:51.50,-0.15")
            .unwrap(),
    );
    let start = Instant::now();
    let mut poly_results = 0;
    for _ in 0..100 {
        poly_results = std::hint::black_box(index.query(&poly)).len();
    }
    let polys = start.elapsed() / 100;

    println!("spatial timing: {} points, bulk_load {:?}", index.len(), build);
    println!(
        "1,000 one-mile circles in a dense area: total {:?}, mean {:?}, p50 {:?}, p99 {:?}, max {:?}, mean {} points per query",
        circles,
        circles / 1_000,
        times[500],
        times[990],
        times[999],
        results / 1_000
    );
    println!("1,000 nearest queries there: total {:?}, mean {:?}", nearest, nearest / 1_000);
    println!("100 nearest queries from anywhere on Earth: mean {far_nearest:?}");
    println!("6-vertex polygon ({poly_results} points): mean {polys:?}");
}

#[test]
fn sizes_in_square_kilometres() {
    let close = |got: f64, want: f64| assert!((got / want - 1.0).abs() < 1e-3, "{got} vs {want}");
    // A circle of 1 km: π km² (a cap this small is flat to 1e-8).
    close(Area::Circle { lat: 52.0, lng: -1.0, radius_m: 1000.0 }.km2(), std::f64::consts::PI);
    assert_eq!(Area::Circle { lat: 95.0, lng: 0.0, radius_m: 1000.0 }.km2(), 0.0);
    // A box 0.01° on a side at 52°N: 1.11195 km north–south by 0.68459 km east–west.
    let side_ns = EARTH_RADIUS_M * std::f64::consts::PI / 180.0 * 0.01 / 1000.0;
    let side_ew = side_ns * 52.005f64.to_radians().cos();
    let square = parse_poly("52.0,-1.0:52.01,-1.0:52.01,-0.99:52.0,-0.99").unwrap();
    close(Area::Polygon(square).km2(), side_ns * side_ew);
    // A region: that box less a hole a quarter its size, and a second box like it.
    let ring = |lat: f64, lng: f64, side: f64| {
        vec![[lat, lng], [lat + side, lng], [lat + side, lng + side], [lat, lng + side]]
    };
    let region = Boundary::new(vec![
        vec![ring(52.0, -1.0, 0.01), ring(52.0025, -0.9975, 0.005)],
        vec![ring(52.0, -0.5, 0.01)],
    ])
    .unwrap();
    close(Area::Region(std::sync::Arc::new(region)).km2(), side_ns * side_ew * 1.75);
}

/// Points to try against an area: its vertices, points on and just off its edges (within and
/// beyond the boundary tolerance), points level with its vertices (where the crossing rule's
/// half-open comparison matters), and points anywhere in and around its box.
fn probe_points(rings: &[Vec<(f64, f64)>], rng: &mut Rng) -> Vec<(f64, f64)> {
    let mut points = Vec::new();
    let vertices: Vec<(f64, f64)> = rings.iter().flatten().copied().collect();
    let (min_lat, max_lat) =
        vertices.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v.0), hi.max(v.0)));
    let (min_lng, max_lng) =
        vertices.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v.1), hi.max(v.1)));
    let (h, w) = ((max_lat - min_lat).max(1e-9), (max_lng - min_lng).max(1e-9));
    let offsets = [0.0, 1e-12, 5e-10, 1e-9, 2e-9, 1e-8, 1e-7, 3e-7, 1e-5];
    for ring in rings {
        for (i, &a) in ring.iter().enumerate() {
            let b = ring[(i + 1) % ring.len()];
            points.push(a);
            let t = rng.unit();
            let on_edge = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            points.push(on_edge);
            let d = offsets[rng.below(offsets.len())] * if rng.unit() < 0.5 { 1.0 } else { -1.0 };
            points.push((on_edge.0 + d, on_edge.1));
            points.push((on_edge.0, on_edge.1 + d));
            points.push((a.0 + d, a.1 - d));
            // Level with the vertex, anywhere across the box.
            points.push((a.0, rng.range(min_lng - w * 0.1, max_lng + w * 0.1)));
        }
    }
    for _ in 0..points.len().clamp(200, 2_000) {
        points.push((
            rng.range(min_lat - h * 0.1, max_lat + h * 0.1),
            rng.range(min_lng - w * 0.1, max_lng + w * 0.1),
        ));
    }
    points
}

/// The grid's test gives the every-edge test's answer at every probe point, and its cheap
/// verdicts (inside / outside without an edge test) are never wrong.
fn check_prepared(
    area: &Area,
    rings: &[Vec<(f64, f64)>],
    rng: &mut Rng,
) -> Result<(), TestCaseError> {
    let prepared = PreparedArea::with_grid_from(area, 1);
    let everyday = PreparedArea::new(area);
    for (lat, lng) in probe_points(rings, rng) {
        let expected = area.contains(lat, lng);
        prop_assert_eq!(
            prepared.contains(lat, lng),
            expected,
            "at ({}, {}) in {:?}",
            lat,
            lng,
            area
        );
        prop_assert_eq!(everyday.contains(lat, lng), expected, "at ({}, {})", lat, lng);
        let cheap = prepared.membership(lat, lng);
        prop_assert!(
            cheap == Membership::Unsure || (cheap == Membership::Inside) == expected,
            "membership {:?} at ({}, {}) but contains is {}",
            cheap,
            lat,
            lng,
            expected
        );
    }
    Ok(())
}

/// Stars of up to 400 vertices, jagged like a coastline, with their `poly`-style rings.
fn jagged_star() -> impl Strategy<Value = Vec<(f64, f64)>> {
    (uk_centre(), log_range(1e-4, 5.0), 0.0..0.9f64, 10..400usize, any::<u64>()).prop_map(
        |((lat, lng), r, jitter, n, seed): ((f64, f64), f64, f64, usize, u64)| {
            let mut rng = Rng(seed);
            let mut scale: f64 = 0.8;
            (0..n)
                .map(|i| {
                    scale = (scale + (rng.unit() - 0.5) * jitter).clamp(0.1, 1.0);
                    let angle = std::f64::consts::TAU * i as f64 / n as f64;
                    (lat + r * scale * angle.sin(), lng + r * 1.7 * scale * angle.cos())
                })
                .collect()
        },
    )
}

#[test]
fn spatial_property_grid_equals_every_edge_test_polygons() {
    let polygons = prop_oneof![3 => uk_polygon(), 1 => jagged_star()];
    let seed = Cell::new(0u64);
    check_cases(600, polygons, |vertices| {
        let Some(area) = polygon_area(vertices.clone()) else { return Ok(()) };
        seed.set(seed.get() + 1);
        check_prepared(&area, &[vertices], &mut Rng(seed.get()))
    });
}

#[test]
fn spatial_property_grid_equals_every_edge_test_regions() {
    // Parts with holes (a hole may stick out of its part), several parts, overlapping or not.
    let ring = prop_oneof![3 => uk_polygon(), 1 => jagged_star()];
    let part = vec(ring.clone(), 1..4);
    check_cases(200, vec(part, 1..4), |parts| {
        let parts: Vec<Vec<Vec<[f64; 2]>>> = parts
            .into_iter()
            .map(|part| {
                part.into_iter().map(|r| r.into_iter().map(|(a, b)| [a, b]).collect()).collect()
            })
            .collect();
        let Ok(boundary) = Boundary::new(parts) else { return Ok(()) };
        let rings: Vec<Vec<(f64, f64)>> = boundary
            .parts
            .iter()
            .flatten()
            .map(|r| r.iter().map(|v| (v[0], v[1])).collect())
            .collect();
        let area = Area::Region(std::sync::Arc::new(boundary));
        check_prepared(&area, &rings, &mut Rng(rings.len() as u64 * 7919))
    });
}

/// Hundreds of vertices in one row of cells (a box whose bottom is a fine saw): each cell's
/// set of odd latitudes spans several words, and its answers still equal the every-edge test's.
#[test]
fn spatial_grid_with_many_latitudes_in_a_row() {
    for (teeth, depth) in [(40, 1e-3), (700, 1e-4), (3_000, 2e-5)] {
        let mut vertices = vec![(52.0, -1.0), (52.0, 1.0)];
        let mut rng = Rng(teeth as u64);
        for k in (0..=2 * teeth).rev() {
            let lng = -1.0 + 2.0 * k as f64 / (2 * teeth) as f64;
            let lat = if k % 2 == 0 { 51.0 } else { 51.0 + depth * (0.5 + rng.unit()) };
            vertices.push((lat, lng));
        }
        vertices.dedup();
        let area = polygon_area(vertices.clone()).unwrap();
        check_prepared(&area, &[vertices], &mut rng).unwrap();
    }
}

/// A 12,000-vertex jagged polygon over Great Britain: the grid's answers equal the every-edge
/// test's on 20,000 points, and most points need no edge test at all.
#[test]
fn spatial_grid_on_a_huge_polygon() {
    let mut rng = Rng(0x5EED_0012);
    let mut scale: f64 = 0.8;
    let n = 12_000;
    let vertices: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            scale = (scale + (rng.unit() - 0.5) * 0.08).clamp(0.55, 1.0);
            let angle = std::f64::consts::TAU * i as f64 / n as f64;
            (54.0 + 4.4 * scale * angle.sin(), -2.6 + 4.2 * scale * angle.cos())
        })
        .collect();
    let area = polygon_area(vertices).unwrap();
    let prepared = PreparedArea::new(&area);
    let (mut unsure, mut inside) = (0, 0);
    for _ in 0..20_000 {
        let (lat, lng) = (rng.range(49.0, 59.0), rng.range(-7.5, 2.5));
        let expected = area.contains(lat, lng);
        assert_eq!(prepared.contains(lat, lng), expected, "at ({lat}, {lng})");
        match prepared.membership(lat, lng) {
            Membership::Unsure => unsure += 1,
            cheap => assert_eq!(cheap == Membership::Inside, expected),
        }
        inside += usize::from(expected);
    }
    assert!(inside > 5_000, "the polygon covers much of the box: {inside}");
    assert!(unsure < 4_000, "most points are decided by their cell: {unsure} unsure");
}
