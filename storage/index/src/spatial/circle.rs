//! A circle's membership test without trigonometry per point, deciding exactly as
//! [`haversine_m`](super::area::haversine_m)` <= radius` does.

use super::area::{is_valid_coordinate, EARTH_RADIUS_M};
use super::grid::Membership;

/// Largest radius given a [`CircleTest`]: police.uk's point queries are a mile, the v2 ones a
/// few; the series below stay accurate far beyond this.
const MAX_RADIUS_M: f64 = 50_000.0;

/// Centres farther from the equator are left to the exact test (a point's cosine, the one
/// term that could be small, stays above 0.12 within [`MAX_RADIUS_M`] of them).
const MAX_CENTRE_LATITUDE: f64 = 80.0;

/// Half-angles (radians) beyond which a point is left to the exact test: the Taylor series
/// below are accurate to ~1e-16 within it, and every point of a candidate box is within it.
const MAX_HALF_ANGLE: f64 = 0.05;

/// Relative margin around the circle's edge within which a point is left to the exact test.
/// Both computations of the haversine value are accurate to a few units in the last place
/// (~1e-15); the margin is a million times that, and a point this near the edge of a mile
/// circle lies within 2 µm of it.
const EDGE_MARGIN: f64 = 1e-9;

/// A circle of up to 50 km, centred within 80° of the equator, prepared for testing many
/// points. [`haversine_m`](super::area::haversine_m) computes the haversine value `a =
/// sin²(Δφ/2) + cos φ₁ cos φ₂ sin²(Δλ/2)` with three calls to sine and cosine and then an arc
/// sine and a square root; here the same half-angles (computed by the same operations) go
/// through Taylor polynomials, `cos φ₂` comes from the centre's sine and cosine by the angle
/// sum, and `a` is compared with the circle's own value `sin²(r / 2R)`, which orders points
/// as the distance does. Points within [`EDGE_MARGIN`] of the edge are [`Membership::Unsure`]
/// and get the exact test, so the answers are those of the exact formula.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CircleTest {
    /// The centre's latitude in radians, and its sine and cosine.
    phi: f64,
    sin_phi: f64,
    cos_phi: f64,
    lng: f64,
    /// The haversine value of a point on the edge.
    edge: f64,
}

impl CircleTest {
    /// The test of the circle, or `None` where it does not apply (no radius, or a radius over
    /// 50 km, or a centre near a pole or invalid): then the exact test is as good.
    pub(crate) fn new(lat: f64, lng: f64, radius_m: f64) -> Option<CircleTest> {
        let applies = is_valid_coordinate(lat, lng)
            && lat.abs() <= MAX_CENTRE_LATITUDE
            && radius_m > 0.0
            && radius_m <= MAX_RADIUS_M;
        if !applies {
            return None;
        }
        let phi = lat.to_radians();
        let half_angle = radius_m / (2.0 * EARTH_RADIUS_M);
        let edge = half_angle.sin() * half_angle.sin();
        Some(CircleTest { phi, sin_phi: phi.sin(), cos_phi: phi.cos(), lng, edge })
    }

    /// Inside or outside, or [`Membership::Unsure`] for a point so near the edge (or so far
    /// away) that only the exact test may say.
    pub(crate) fn membership(&self, lat: f64, lng: f64) -> Membership {
        if !is_valid_coordinate(lat, lng) {
            return Membership::Outside;
        }
        // As `haversine_m` computes them, bit for bit.
        let phi2 = lat.to_radians();
        let half_dphi = (phi2 - self.phi) / 2.0;
        let half_dlambda = (lng - self.lng).to_radians() / 2.0;
        if half_dphi.abs() > MAX_HALF_ANGLE || half_dlambda.abs() > MAX_HALF_ANGLE {
            return Membership::Unsure;
        }
        let sin_dphi = small_sin(half_dphi);
        let sin_dlambda = small_sin(half_dlambda);
        let dphi = phi2 - self.phi;
        let cos_phi2 = self.cos_phi * small_cos(dphi) - self.sin_phi * small_sin(dphi);
        let a = sin_dphi * sin_dphi + self.cos_phi * cos_phi2 * sin_dlambda * sin_dlambda;
        if a <= self.edge * (1.0 - EDGE_MARGIN) {
            Membership::Inside
        } else if a >= self.edge * (1.0 + EDGE_MARGIN) {
            Membership::Outside
        } else {
            Membership::Unsure
        }
    }
}

/// sin x for |x| ≤ 0.1 (remainder under x⁹/9!, 3e-15 at 0.1 and 1e-18 at 0.05).
fn small_sin(x: f64) -> f64 {
    let x2 = x * x;
    x * (1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0)))
}

/// cos x for |x| ≤ 0.1 (remainder under x¹⁰/10!, 3e-17 at 0.1).
fn small_cos(x: f64) -> f64 {
    let x2 = x * x;
    1.0 - x2 / 2.0 * (1.0 - x2 / 12.0 * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0)))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{small_cos, small_sin, CircleTest};
    use crate::spatial::area::{haversine_m, EARTH_RADIUS_M};
    use crate::spatial::Area;
    use crate::spatial::Membership;
    use crate::testing::check;

    #[test]
    fn the_series_match_the_library_functions() {
        for i in -1000..=1000 {
            let x = f64::from(i) * 1e-4;
            assert!((small_sin(x) - x.sin()).abs() <= 4e-15, "sin {x}");
            assert!((small_cos(x) - x.cos()).abs() <= 4e-16, "cos {x}");
        }
    }

    /// A point at `distance_m` from the centre on `bearing` (radians), by the spherical
    /// destination formula.
    fn destination(lat: f64, lng: f64, bearing: f64, distance_m: f64) -> (f64, f64) {
        let (phi, delta) = (lat.to_radians(), distance_m / EARTH_RADIUS_M);
        let phi2 = (phi.sin() * delta.cos() + phi.cos() * delta.sin() * bearing.cos()).asin();
        let dlambda =
            (bearing.sin() * delta.sin() * phi.cos()).atan2(delta.cos() - phi.sin() * phi2.sin());
        (phi2.to_degrees(), lng + dlambda.to_degrees())
    }

    #[test]
    fn decides_as_the_exact_formula_and_leaves_only_the_edge_unsure() {
        // Points at the edge (within a few millionths of the radius either way), near it, and
        // anywhere in the circle's box; the test must never contradict the exact formula.
        let cases = (
            -80.0..80.0f64,
            -170.0..170.0f64,
            prop_oneof![0.5..5.0f64, 5.0..2_000.0, 2_000.0..50_000.0],
            0.0..std::f64::consts::TAU,
            prop_oneof![-1e-6..1e-6f64, -1e-3..1e-3f64, -1.0..0.5f64,],
        );
        check(4096, cases, |(lat, lng, radius_m, bearing, offset)| {
            let test = CircleTest::new(lat, lng, radius_m).expect("applies");
            let (p_lat, p_lng) = destination(lat, lng, bearing, radius_m * (1.0 + offset));
            let exact = Area::Circle { lat, lng, radius_m }.contains(p_lat, p_lng);
            prop_assert_eq!(exact, haversine_m(lat, lng, p_lat, p_lng) <= radius_m);
            match test.membership(p_lat, p_lng) {
                Membership::Inside => prop_assert!(exact, "({p_lat}, {p_lng}) said inside"),
                Membership::Outside => prop_assert!(!exact, "({p_lat}, {p_lng}) said outside"),
                Membership::Unsure => prop_assert!(offset.abs() < 1e-6, "unsure at {offset}"),
            }
            Ok(())
        });
    }

    #[test]
    fn leaves_large_circles_poles_and_no_radius_to_the_exact_test() {
        assert!(CircleTest::new(52.0, -1.0, 1609.344).is_some());
        assert!(CircleTest::new(52.0, -1.0, 50_001.0).is_none());
        assert!(CircleTest::new(81.0, -1.0, 1609.344).is_none());
        assert!(CircleTest::new(52.0, -1.0, 0.0).is_none());
        assert!(CircleTest::new(52.0, -1.0, f64::NAN).is_none());
        assert!(CircleTest::new(f64::NAN, -1.0, 1609.344).is_none());
    }
}
