//! A boundary's rings as GeoJSON (RFC 7946) wants them: positions `[longitude, latitude]`,
//! every ring closed (first position repeated last), exterior rings counter-clockwise and holes
//! clockwise (the right-hand rule of RFC 7946 §3.1.6), one polygon per part.

use super::{Boundary, Ring};

/// A GeoJSON linear ring: `[longitude, latitude]` positions, closed.
pub type GeoJsonRing = Vec<[f64; 2]>;

impl Boundary {
    /// Each part as a GeoJSON polygon's rings: the exterior ring first, then the holes, in
    /// the stored order. Rings keep their first vertex; a ring wound the wrong way is walked
    /// backwards from it. A ring without area (all vertices on a line) keeps its order.
    pub fn geojson_polygons(&self) -> Vec<Vec<GeoJsonRing>> {
        self.parts
            .iter()
            .map(|part| {
                part.iter().enumerate().map(|(k, ring)| geojson_ring(ring, k == 0)).collect()
            })
            .collect()
    }
}

/// `ring` as `[lng, lat]`, closed, counter-clockwise when `exterior`, else clockwise.
fn geojson_ring(ring: &Ring, exterior: bool) -> GeoJsonRing {
    let area = signed_area(ring);
    let reverse = if exterior { area < 0.0 } else { area > 0.0 };
    let mut out: GeoJsonRing = Vec::with_capacity(ring.len() + 1);
    if let Some(&[lat, lng]) = ring.first() {
        out.push([lng, lat]);
        if reverse {
            out.extend(ring[1..].iter().rev().map(|&[lat, lng]| [lng, lat]));
        } else {
            out.extend(ring[1..].iter().map(|&[lat, lng]| [lng, lat]));
        }
        out.push([lng, lat]);
    }
    out
}

/// Twice the signed area of an unclosed `[lat, lng]` ring in the plane of x = longitude,
/// y = latitude (the shoelace formula): positive when the ring runs counter-clockwise.
pub(crate) fn signed_area(ring: &Ring) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let ([y0, x0], [y1, x1]) = (ring[i], ring[(i + 1) % n]);
            x0 * y1 - x1 * y0
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::check;

    /// A box, counter-clockwise in (lng, lat) in this order.
    fn square(lat0: f64, lng0: f64, lat1: f64, lng1: f64) -> Ring {
        vec![[lat0, lng0], [lat0, lng1], [lat1, lng1], [lat1, lng0]]
    }

    #[test]
    fn exterior_rings_run_counter_clockwise_and_holes_clockwise_closed_as_lng_lat() {
        let outer = square(52.60, -1.16, 52.66, -1.10);
        let hole = square(52.62, -1.14, 52.64, -1.12);
        let boundary = Boundary::new(vec![vec![outer.clone(), hole]]).unwrap();
        let polygons = boundary.geojson_polygons();
        assert_eq!(polygons.len(), 1);
        // The outer ring was counter-clockwise already: kept; the hole was too: reversed.
        assert_eq!(
            polygons[0][0],
            vec![[-1.16, 52.60], [-1.10, 52.60], [-1.10, 52.66], [-1.16, 52.66], [-1.16, 52.60]]
        );
        assert_eq!(
            polygons[0][1],
            vec![[-1.14, 52.62], [-1.14, 52.64], [-1.12, 52.64], [-1.12, 52.62], [-1.14, 52.62]]
        );
        // A clockwise outer ring is walked backwards from its first vertex; parts stay apart.
        let clockwise: Ring = outer.iter().rev().copied().collect();
        let far = square(52.80, -1.00, 52.82, -0.98);
        let boundary = Boundary::new(vec![vec![clockwise], vec![far]]).unwrap();
        let polygons = boundary.geojson_polygons();
        assert_eq!(polygons.len(), 2);
        assert_eq!(
            polygons[0][0],
            vec![[-1.16, 52.66], [-1.16, 52.60], [-1.10, 52.60], [-1.10, 52.66], [-1.16, 52.66]]
        );
        assert_eq!(polygons[1][0][0], [-1.00, 52.80]);
    }

    /// Whether a simple closed `[x, y]` ring runs counter-clockwise, decided at its lowest
    /// (then leftmost) vertex by the turn there: independent of the shoelace sum.
    fn counter_clockwise(closed: &[[f64; 2]]) -> bool {
        let ring = &closed[..closed.len() - 1];
        let n = ring.len();
        let k = (0..n)
            .min_by(|&a, &b| {
                ring[a][1].total_cmp(&ring[b][1]).then(ring[a][0].total_cmp(&ring[b][0]))
            })
            .unwrap();
        let (a, b, c) = (ring[(k + n - 1) % n], ring[k], ring[(k + 1) % n]);
        (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]) > 0.0
    }

    /// The same cyclic sequence of vertices, in one direction or the other.
    fn same_ring(stored: &Ring, closed: &[[f64; 2]]) -> bool {
        let ring: Vec<[f64; 2]> = closed[..closed.len() - 1].iter().map(|&[x, y]| [y, x]).collect();
        let n = stored.len();
        if ring.len() != n {
            return false;
        }
        let reversed: Vec<[f64; 2]> = ring.iter().rev().copied().collect();
        (0..n).any(|shift| {
            (0..n).all(|i| stored[i] == ring[(i + shift) % n])
                || (0..n).all(|i| stored[i] == reversed[(i + shift) % n])
        })
    }

    /// A star-shaped (so simple) ring around a centre: vertices at increasing angles, either
    /// way round.
    fn star(centre: (f64, f64), radii: &[f64], clockwise: bool) -> Ring {
        let n = radii.len();
        let mut ring: Ring = radii
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let angle = std::f64::consts::TAU * k as f64 / n as f64;
                [centre.0 + r * angle.sin(), centre.1 + r * angle.cos()]
            })
            .collect();
        if clockwise {
            ring.reverse();
        }
        ring
    }

    #[test]
    fn every_ring_keeps_its_vertices_and_takes_the_right_hand_rule() {
        let strategy = (
            proptest::collection::vec(0.01..0.05f64, 3..40),
            any::<bool>(),
            proptest::collection::vec(0.001..0.004f64, 3..12),
            any::<bool>(),
        );
        check(500, strategy, |(outer_radii, outer_cw, hole_radii, hole_cw)| {
            let outer = star((52.6, -1.1), &outer_radii, outer_cw);
            let hole = star((52.6, -1.1), &hole_radii, hole_cw);
            let boundary = Boundary::new(vec![vec![outer, hole]]).unwrap();
            let polygons = boundary.geojson_polygons();
            prop_assert_eq!(polygons.len(), 1);
            for (k, (stored, ring)) in boundary.parts[0].iter().zip(&polygons[0]).enumerate() {
                prop_assert_eq!(ring.first(), ring.last());
                prop_assert!(same_ring(stored, ring));
                prop_assert_eq!(counter_clockwise(ring), k == 0);
            }
            Ok(())
        });
    }
}
