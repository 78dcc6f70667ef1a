//! Property tests of `locate-neighbourhood`: the R-tree over part envelopes must answer exactly
//! what testing every boundary in order answers, and the membership test must agree with an
//! independent winding-number test, over random and tiling boundaries with holes and several
//! parts (fixed sets from a seeded generator), at points drawn by proptest strategies.

use std::cell::Cell;

use proptest::prelude::*;

use super::*;
use crate::spatial::Polygon;
use crate::testing::check;
use police_generate::rng::Rng;

/// Winding number of a closed ring around `(lat, lng)` (non-zero: inside), written without
/// reference to the code under test.
fn winding(ring: &[[f64; 2]], lat: f64, lng: f64) -> i32 {
    let mut w = 0;
    for i in 0..ring.len() {
        let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
        let cross = (b[1] - a[1]) * (lat - a[0]) - (lng - a[1]) * (b[0] - a[0]);
        if a[0] <= lat {
            if b[0] > lat && cross > 0.0 {
                w += 1;
            }
        } else if b[0] <= lat && cross < 0.0 {
            w -= 1;
        }
    }
    w
}

/// The oracle: inside an outer ring and inside none of its holes, for some part.
fn oracle_contains(boundary: &Boundary, lat: f64, lng: f64) -> bool {
    boundary.parts.iter().any(|part| {
        winding(&part[0], lat, lng) != 0 && !part[1..].iter().any(|h| winding(h, lat, lng) != 0)
    })
}

fn oracle_locate(boundaries: &[Boundary], lat: f64, lng: f64) -> Option<usize> {
    boundaries.iter().position(|b| oracle_contains(b, lat, lng))
}

/// A star-shaped ring around a centre: `n` vertices at increasing angles (one in each of `n`
/// equal sectors), radii in `[r_min, r_max]` (degrees), so it is simple; with `n >= 12` it
/// contains the disc of radius `0.86 * r_min`.
fn star(rng: &mut Rng, lat: f64, lng: f64, r_min: f64, r_max: f64, n: usize) -> Ring {
    let sector = std::f64::consts::TAU / n as f64;
    (0..n)
        .map(|k| {
            let a = (k as f64 + rng.range(0.0, 0.9)) * sector;
            let r = rng.range(r_min, r_max);
            [lat + r * a.sin(), lng + r * a.cos()]
        })
        .collect()
}

/// Random boundaries over a region about 1° across: 1–3 parts each, some with holes; they
/// overlap one another freely.
fn random_boundaries(rng: &mut Rng, count: usize) -> Vec<Boundary> {
    (0..count)
        .map(|_| {
            let parts = 1 + rng.index(3);
            let parts = (0..parts)
                .map(|_| {
                    let (lat, lng) = (rng.range(52.0, 53.0), rng.range(-1.5, -0.5));
                    let r_max = rng.range(0.01, 0.12);
                    let r_min = r_max * rng.range(0.3, 0.8);
                    let holes = rng.index(3);
                    let n = if holes > 0 { 12 + rng.index(24) } else { 3 + rng.index(30) };
                    let mut rings = vec![star(rng, lat, lng, r_min, r_max, n)];
                    // Holes: inside the disc the outer ring contains, apart from each other.
                    for k in 0..holes {
                        let side = if k == 0 { 1.0 } else { -1.0 };
                        let r = r_min * 0.3;
                        let (hlat, hlng) = (lat + side * r_min * 0.5, lng);
                        let n = 3 + rng.index(12);
                        rings.push(star(rng, hlat, hlng, r * 0.4, r, n));
                    }
                    rings
                })
                .collect();
            Boundary::new(parts).expect("valid boundary")
        })
        .collect()
}

/// A jittered grid tiling a region: cell (i, j) is a quadrilateral whose corners are shared
/// with its neighbours. Some boundaries take two distant cells (multi-part); some cells get a
/// hole that another boundary (an "island") fills exactly.
fn tiling_boundaries(rng: &mut Rng, nx: usize, ny: usize) -> (Vec<Boundary>, (f64, f64, f64, f64)) {
    let (lat0, lng0, step) = (51.0, -2.0, 0.05);
    let corners: Vec<Vec<[f64; 2]>> = (0..=ny)
        .map(|j| {
            (0..=nx)
                .map(|i| {
                    let inner = i > 0 && i < nx && j > 0 && j < ny;
                    let (dj, di) = if inner {
                        (rng.range(-0.3, 0.3), rng.range(-0.3, 0.3))
                    } else {
                        (0.0, 0.0)
                    };
                    [lat0 + (j as f64 + dj) * step, lng0 + (i as f64 + di) * step]
                })
                .collect()
        })
        .collect();
    let cell = |i: usize, j: usize| -> Ring {
        vec![corners[j][i], corners[j][i + 1], corners[j + 1][i + 1], corners[j + 1][i]]
    };
    let mut owner: Vec<Option<usize>> = vec![None; nx * ny];
    let mut boundaries: Vec<Vec<Vec<Ring>>> = Vec::new();
    let mut order: Vec<usize> = (0..nx * ny).collect();
    for k in (1..order.len()).rev() {
        order.swap(k, rng.index(k + 1));
    }
    for &c in &order {
        if owner[c].is_some() {
            continue;
        }
        let (i, j) = (c % nx, c / nx);
        let mut parts = vec![vec![cell(i, j)]];
        owner[c] = Some(boundaries.len());
        if rng.f64() < 0.2 {
            // A second, non-adjacent part.
            let other = rng.index(nx * ny);
            let (oi, oj) = (other % nx, other / nx);
            if owner[other].is_none() && (oi.abs_diff(i) > 1 || oj.abs_diff(j) > 1) {
                owner[other] = Some(boundaries.len());
                parts.push(vec![cell(oi, oj)]);
            }
        }
        let mut island = None;
        if rng.f64() < 0.25 {
            // A hole in the first part, filled by an island boundary of its own.
            let ring = cell(i, j);
            let (clat, clng) = (
                ring.iter().map(|v| v[0]).sum::<f64>() / 4.0,
                ring.iter().map(|v| v[1]).sum::<f64>() / 4.0,
            );
            let n = 3 + rng.index(8);
            let hole = star(rng, clat, clng, step * 0.05, step * 0.15, n);
            parts[0].push(hole.clone());
            island = Some(vec![vec![hole]]);
        }
        boundaries.push(parts);
        if let Some(island) = island {
            boundaries.push(island);
        }
    }
    let boundaries = boundaries.into_iter().map(|p| Boundary::new(p).unwrap()).collect();
    (boundaries, (lat0, lng0, lat0 + ny as f64 * step, lng0 + nx as f64 * step))
}

#[test]
fn locate_equals_brute_force_over_random_overlapping_boundaries() {
    let mut rng = Rng::new(0x6c6f_6361_7465);
    let rounds: Vec<(Vec<Boundary>, BoundaryIndex)> = (0..20)
        .map(|_| {
            let count = 10 + rng.index(60);
            let boundaries = random_boundaries(&mut rng, count);
            let index = BoundaryIndex::new(boundaries.clone());
            (boundaries, index)
        })
        .collect();
    let found: Vec<Cell<usize>> = rounds.iter().map(|_| Cell::new(0)).collect();
    let overlapping = Cell::new(0);
    // About 5,000 points a round.
    let points = (0..rounds.len(), 51.8..53.2, -1.7..-0.3);
    check(100_000, points, |(round, lat, lng)| {
        let (boundaries, index) = &rounds[round];
        let expected = oracle_locate(boundaries, lat, lng);
        prop_assert_eq!(index.locate(lat, lng), expected, "round {}", round);
        prop_assert_eq!(index.locate_brute_force(lat, lng), expected);
        found[round].set(found[round].get() + usize::from(expected.is_some()));
        let holders = boundaries.iter().filter(|b| oracle_contains(b, lat, lng)).count();
        overlapping.set(overlapping.get() + usize::from(holders > 1));
        Ok(())
    });
    for (round, found) in found.iter().enumerate() {
        assert!(found.get() > 100, "round {round}: only {} points located", found.get());
    }
    assert!(overlapping.get() > 1_000, "only {} points in overlaps", overlapping.get());
}

#[test]
fn locate_equals_brute_force_over_tilings_with_holes_and_exclaves() {
    let mut rng = Rng::new(0x7469_6c65);
    for round in 0..10 {
        let (nx, ny) = (4 + rng.index(20), 4 + rng.index(20));
        let (boundaries, (min_lat, min_lng, max_lat, max_lng)) =
            tiling_boundaries(&mut rng, nx, ny);
        assert!(boundaries.iter().any(|b| b.parts.len() > 1) || nx * ny < 30);
        let index = BoundaryIndex::new(boundaries.clone());
        let points = (min_lat - 0.02..max_lat + 0.02, min_lng - 0.02..max_lng + 0.02);
        check(5_000, points, |(lat, lng)| {
            let expected = oracle_locate(&boundaries, lat, lng);
            prop_assert_eq!(index.locate(lat, lng), expected, "round {}", round);
            // A tiling covers its region: exactly one boundary holds each point inside it.
            if lat > min_lat && lat < max_lat && lng > min_lng && lng < max_lng {
                let holders = boundaries.iter().filter(|b| oracle_contains(b, lat, lng)).count();
                prop_assert_eq!(holders, 1, "round {}", round);
            } else {
                prop_assert_eq!(expected, None);
            }
            Ok(())
        });
        // Points on shared edges and vertices are in several boundaries: the first wins.
        for b in &boundaries {
            for ring in b.parts.iter().flatten() {
                for k in 0..ring.len() {
                    let (a, c) = (ring[k], ring[(k + 1) % ring.len()]);
                    for [lat, lng] in [a, [(a[0] + c[0]) / 2.0, (a[1] + c[1]) / 2.0]] {
                        let expected = index.locate_brute_force(lat, lng);
                        assert!(expected.is_some());
                        assert_eq!(index.locate(lat, lng), expected);
                    }
                }
            }
        }
    }
}

#[test]
fn a_point_in_a_hole_is_not_in_the_boundary() {
    let outer = vec![[52.0, -1.0], [52.0, 0.0], [53.0, 0.0], [53.0, -1.0]];
    let hole = vec![[52.4, -0.6], [52.4, -0.4], [52.6, -0.4], [52.6, -0.6]];
    let far = vec![[54.0, -1.0], [54.0, -0.9], [54.1, -0.9]];
    let ring = Boundary::new(vec![vec![outer, hole], vec![far]]).unwrap();
    assert!(ring.contains(52.2, -0.8));
    assert!(!ring.contains(52.5, -0.5));
    assert!(ring.contains(52.4, -0.5), "the hole's edge belongs to the boundary");
    assert!(ring.contains(54.05, -0.92));
    let index = BoundaryIndex::new(vec![ring]);
    assert_eq!(index.locate(52.5, -0.5), None);
    assert_eq!(index.locate(52.2, -0.8), Some(0));
    assert_eq!(index.locate(54.05, -0.92), Some(0));
    assert_eq!(index.locate(53.5, -0.5), None);
    assert_eq!(index.locate(f64::NAN, -0.5), None);
    assert_eq!(index.locate(95.0, -0.5), None);
}

#[test]
fn the_keyhole_ring_covers_exactly_the_boundary_as_a_poly() {
    let mut rng = Rng::new(0x6b65_7968);
    for _ in 0..30 {
        let boundaries = random_boundaries(&mut rng, 1);
        let boundary = &boundaries[0];
        let ring = boundary.keyhole_ring();
        assert_eq!(ring.first(), ring.last(), "closed");
        let rings: usize = boundary.parts.iter().map(Vec::len).sum();
        let vertices: usize = boundary.parts.iter().flatten().map(Vec::len).sum();
        assert_eq!(ring.len(), vertices + rings + rings - 1);
        // Parts of one random boundary may overlap each other, where even-odd cancels them:
        // compare only where at most one part holds the point.
        let poly = Polygon::new(ring.iter().map(|v| (v[0], v[1])).collect()).unwrap();
        check(3_000, (51.8..53.2, -1.7..-0.3), |(lat, lng)| {
            let parts = boundary.parts.iter().filter(|p| part_contains(p, lat, lng)).count();
            if parts <= 1 {
                prop_assert_eq!(poly.contains(lat, lng), boundary.contains(lat, lng));
            }
            Ok(())
        });
    }
}

#[test]
fn boundaries_render_with_ten_decimals_closed() {
    let boundary = Boundary::new(vec![vec![vec![
        [52.6394052587, -1.1458618876],
        [52.64, -1.14],
        [52.65, -1.15],
    ]]])
    .unwrap();
    let json = String::from_utf8(boundary.render()).unwrap();
    assert_eq!(
        json,
        r#"[{"latitude":"52.6394052587","longitude":"-1.1458618876"},{"latitude":"52.6400000000","longitude":"-1.1400000000"},{"latitude":"52.6500000000","longitude":"-1.1500000000"},{"latitude":"52.6394052587","longitude":"-1.1458618876"}]"#
    );
    // A closing repeat in the input is not doubled.
    let closed =
        Boundary::new(vec![vec![vec![[1.0, 1.0], [1.0, 2.0], [2.0, 2.0], [1.0, 1.0]]]]).unwrap();
    assert_eq!(closed.keyhole_ring().len(), 4);
    assert!(Boundary::new(vec![vec![vec![[1.0, 1.0], [1.0, 2.0], [1.0, 1.0]]]]).is_err());
    assert!(Boundary::new(vec![vec![vec![[91.0, 1.0], [1.0, 2.0], [2.0, 2.0]]]]).is_err());
}
