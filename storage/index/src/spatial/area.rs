//! Query areas (circles, polygons and regions with holes and parts), their exact membership tests, and parsing of police.uk's
//! `poly` parameter.

use std::f64::consts::PI;
use std::sync::Arc;

use geo_types::{Coord, LineString};

use crate::neighbourhoods::Boundary;

/// Mean Earth radius (metres) used for every great-circle distance.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// One international mile in metres: the radius of police.uk's point (`lat`/`lng`) queries.
pub const ONE_MILE_M: f64 = 1609.344;

/// Points within this distance (in degrees, treating lat/lng as planar coordinates; about 0.1 mm)
/// of a polygon's boundary count as inside it. It also decides when a polygon is too thin to
/// enclose any area.
pub const BOUNDARY_TOLERANCE_DEG: f64 = 1e-9;

/// Extra room (degrees, about 1 cm) added around a circle's bounding box so floating-point
/// rounding can never push a matching point outside it.
const CIRCLE_BOX_MARGIN_DEG: f64 = 1e-7;

/// Great-circle distance in metres between two points given in decimal degrees (haversine
/// formula on a sphere of radius [`EARTH_RADIUS_M`]). Symmetric in its two points.
pub fn haversine_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let half_dphi = (phi2 - phi1) / 2.0;
    let half_dlambda = (lng2 - lng1).to_radians() / 2.0;
    let sin_dphi = half_dphi.sin();
    let sin_dlambda = half_dlambda.sin();
    let a = sin_dphi * sin_dphi + phi1.cos() * phi2.cos() * sin_dlambda * sin_dlambda;
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// Whether `(lat, lng)` is a usable coordinate: finite, latitude in [-90, 90], longitude in
/// [-180, 180].
pub fn is_valid_coordinate(lat: f64, lng: f64) -> bool {
    (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng)
}

/// Why a polygon (usually police.uk's `poly` parameter) was rejected. The `Display` text is
/// meant for API users.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AreaError {
    /// The text or a coordinate is unusable: an unparseable number, a missing comma, an empty
    /// pair, a non-finite value, or a latitude/longitude out of range (police.uk answers 404).
    #[error("malformed poly: {reason}")]
    Malformed {
        /// What exactly is wrong, for the API user.
        reason: String,
    },
    /// Fewer than three distinct vertices (police.uk answers a two-vertex poly with 502).
    #[error("poly must have at least 3 distinct points, found {found}")]
    TooFewVertices {
        /// Number of distinct vertices given.
        found: usize,
    },
    /// All vertices lie on one straight line (within [`BOUNDARY_TOLERANCE_DEG`]), so the
    /// polygon encloses no area.
    #[error("poly encloses no area: all its points lie on one straight line")]
    NoArea,
}

fn malformed(reason: impl Into<String>) -> AreaError {
    AreaError::Malformed { reason: reason.into() }
}

/// A simple polygon in the lat/lng plane, as police.uk's `poly` describes it.
///
/// Edges are straight lines in the (lng, lat) plane (no great circles, no antimeridian wrapping):
/// that is what police.uk-sized polygons need. Membership is the even-odd rule, so
/// self-intersecting ("bow-tie") rings are accepted and the regions covered an even number of
/// times are outside; concave and self-touching rings work as drawn. Boundary rule: a point on
/// the boundary (an edge or a vertex, within [`BOUNDARY_TOLERANCE_DEG`]) is inside.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    /// Exterior ring with x = lng, y = lat (closed, as geo-types stores it).
    geo: geo_types::Polygon<f64>,
    /// (min_lat, min_lng, max_lat, max_lng) of the vertices, widened by the boundary tolerance.
    bbox: (f64, f64, f64, f64),
}

impl Polygon {
    /// Builds a polygon from vertices given as `(lat, lng)`; the ring is closed implicitly, and a
    /// repeated closing vertex (or any vertex repeated consecutively) is dropped.
    ///
    /// Errors: [`AreaError::Malformed`] for a non-finite or out-of-range coordinate,
    /// [`AreaError::TooFewVertices`] for fewer than 3 distinct vertices, [`AreaError::NoArea`]
    /// when all vertices are collinear.
    pub fn new(vertices: Vec<(f64, f64)>) -> Result<Polygon, AreaError> {
        for (i, &(lat, lng)) in vertices.iter().enumerate() {
            check_coordinate(i + 1, lat, lng)?;
        }
        if !has_three_distinct(&vertices) {
            let mut distinct = vertices.clone();
            distinct.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
            distinct.dedup();
            if distinct.len() < 3 {
                return Err(AreaError::TooFewVertices { found: distinct.len() });
            }
        }

        let mut ring: Vec<Coord<f64>> = Vec::with_capacity(vertices.len());
        for &(lat, lng) in &vertices {
            let c = Coord { x: lng, y: lat };
            if ring.last() != Some(&c) {
                ring.push(c);
            }
        }
        while ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
        if is_collinear(&ring) {
            return Err(AreaError::NoArea);
        }

        let (mut min_lat, mut min_lng) = (f64::INFINITY, f64::INFINITY);
        let (mut max_lat, mut max_lng) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for c in &ring {
            min_lat = min_lat.min(c.y);
            max_lat = max_lat.max(c.y);
            min_lng = min_lng.min(c.x);
            max_lng = max_lng.max(c.x);
        }
        let t = BOUNDARY_TOLERANCE_DEG;
        let bbox = (min_lat - t, min_lng - t, max_lat + t, max_lng + t);
        let geo = geo_types::Polygon::new(LineString::new(ring), vec![]);
        Ok(Polygon { geo, bbox })
    }

    /// The ring's vertices as `(lat, lng)`, without the closing repeat and without consecutive
    /// duplicates.
    pub fn vertices(&self) -> Vec<(f64, f64)> {
        let coords = &self.geo.exterior().0;
        coords[..coords.len() - 1].iter().map(|c| (c.y, c.x)).collect()
    }

    /// The polygon as a geo-types polygon (x = lng, y = lat, ring explicitly closed).
    pub fn as_geo(&self) -> &geo_types::Polygon<f64> {
        &self.geo
    }

    /// Conservative bounding box `(min_lat, min_lng, max_lat, max_lng)`: every point for which
    /// [`Polygon::contains`] is true lies inside it (boundaries included).
    pub fn bounding_box(&self) -> (f64, f64, f64, f64) {
        self.bbox
    }

    /// Whether `(lat, lng)` is inside: even-odd ray casting with lat/lng as planar coordinates,
    /// or within [`BOUNDARY_TOLERANCE_DEG`] of an edge or vertex. Invalid coordinates are never
    /// inside.
    pub fn contains(&self, lat: f64, lng: f64) -> bool {
        let (min_lat, min_lng, max_lat, max_lng) = self.bbox;
        if !is_valid_coordinate(lat, lng)
            || lat < min_lat
            || lat > max_lat
            || lng < min_lng
            || lng > max_lng
        {
            return false;
        }
        let (x, y) = (lng, lat);
        let mut inside = false;
        for line in self.geo.exterior().lines() {
            let (a, b) = (line.start, line.end);
            if (a.y > y) != (b.y > y) {
                let x_cross = a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y);
                if x < x_cross {
                    inside = !inside;
                }
            }
        }
        inside || self.geo.exterior().lines().any(|line| near_segment(line.start, line.end, x, y))
    }
}

/// Whether `(x, y)` is within [`BOUNDARY_TOLERANCE_DEG`] of the segment `a`–`b`.
fn near_segment(a: Coord<f64>, b: Coord<f64>, x: f64, y: f64) -> bool {
    let t = BOUNDARY_TOLERANCE_DEG;
    if x < a.x.min(b.x) - t || x > a.x.max(b.x) + t || y < a.y.min(b.y) - t || y > a.y.max(b.y) + t
    {
        return false;
    }
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let (px, py) = (x - a.x, y - a.y);
    let len2 = dx * dx + dy * dy;
    let s = if len2 > 0.0 { ((px * dx + py * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let (ex, ey) = (px - s * dx, py - s * dy);
    ex * ex + ey * ey <= t * t
}

/// Whether every vertex lies within the boundary tolerance of the line through the first vertex
/// and the vertex farthest from it.
fn is_collinear(ring: &[Coord<f64>]) -> bool {
    let origin = ring[0];
    let far = ring
        .iter()
        .copied()
        .max_by(|p, q| dist2(origin, *p).total_cmp(&dist2(origin, *q)))
        .unwrap_or(origin);
    let len = dist2(origin, far).sqrt();
    if len == 0.0 {
        return true;
    }
    let (dx, dy) = (far.x - origin.x, far.y - origin.y);
    ring.iter().all(|p| {
        let cross = dx * (p.y - origin.y) - dy * (p.x - origin.x);
        cross.abs() / len <= BOUNDARY_TOLERANCE_DEG
    })
}

fn dist2(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).powi(2) + (a.y - b.y).powi(2)
}

fn check_coordinate(position: usize, lat: f64, lng: f64) -> Result<(), AreaError> {
    if !lat.is_finite() || !lng.is_finite() {
        return Err(malformed(format!("point {position} is not a finite number")));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(malformed(format!("latitude {lat} at point {position} is outside [-90, 90]")));
    }
    if !(-180.0..=180.0).contains(&lng) {
        return Err(malformed(format!(
            "longitude {lng} at point {position} is outside [-180, 180]"
        )));
    }
    Ok(())
}

/// Parses police.uk's `poly` parameter: `lat,lng:lat,lng:lat,lng` (pairs separated by `:`,
/// latitude and longitude by `,`; the ring is closed automatically, and a closing pair equal to
/// the first is allowed). Spaces around numbers are tolerated; an empty pair (e.g. a trailing
/// `:`) is malformed.
///
/// ```
/// use police_index::spatial::{parse_poly, AreaError};
/// let poly = parse_poly("52.268,0.543:52.794,0.238:52.130,0.478").unwrap();
/// assert_eq!(poly.vertices().len(), 3);
/// assert_eq!(parse_poly("52.268,0.543:52.794,0.238"), Err(AreaError::TooFewVertices { found: 2 }));
/// ```
pub fn parse_poly(text: &str) -> Result<Polygon, AreaError> {
    if text.trim().is_empty() {
        return Err(malformed("poly is empty"));
    }
    let mut vertices = Vec::new();
    for (i, pair) in text.split(':').enumerate() {
        let position = i + 1;
        if pair.trim().is_empty() {
            return Err(malformed(format!("point {position} is empty")));
        }
        let mut parts = pair.split(',');
        let (Some(lat), Some(lng), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(malformed(format!(
                "point {position} ({:?}) must be \"lat,lng\"",
                pair.trim()
            )));
        };
        let lat = parse_number(position, "latitude", lat)?;
        let lng = parse_number(position, "longitude", lng)?;
        check_coordinate(position, lat, lng)?;
        vertices.push((lat, lng));
    }
    Polygon::new(vertices)
}

/// Whether three of `vertices` differ pairwise: then sorting and deduplicating them leaves
/// at least three (one pass, instead of the sort, for all but degenerate polygons).
fn has_three_distinct(vertices: &[(f64, f64)]) -> bool {
    let Some(&first) = vertices.first() else { return false };
    let Some(&second) = vertices.iter().find(|&&v| v != first) else { return false };
    vertices.iter().any(|&v| v != first && v != second)
}

fn parse_number(position: usize, what: &str, text: &str) -> Result<f64, AreaError> {
    let text = text.trim();
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(malformed(format!("{what} {text:?} at point {position} is not a number"))),
    }
}

/// An area to search: what police.uk's `lat`/`lng` (a one-mile circle) and `poly` parameters
/// describe.
#[derive(Debug, Clone, PartialEq)]
pub enum Area {
    /// Every point within `radius_m` metres (great-circle, haversine) of the centre. A circle
    /// whose centre is not a valid coordinate, or whose radius is negative or NaN, contains
    /// nothing.
    Circle {
        /// Centre latitude, decimal degrees.
        lat: f64,
        /// Centre longitude, decimal degrees.
        lng: f64,
        /// Radius in metres (inclusive).
        radius_m: f64,
    },
    /// A simple polygon given as vertices (lat, lng); the ring is closed implicitly.
    Polygon(Polygon),
    /// A region of one or more parts, each an outer ring with holes: a neighbourhood's
    /// boundary, or a GeoJSON `Polygon`/`MultiPolygon` (see [`Boundary::contains`]).
    Region(Arc<Boundary>),
}

impl Area {
    /// The exact membership test (the definition the index must match): for a circle,
    /// `haversine_m(centre, point) <= radius_m`; for a polygon, [`Polygon::contains`]. Invalid
    /// coordinates are never contained.
    pub fn contains(&self, lat: f64, lng: f64) -> bool {
        match self {
            Area::Circle { lat: c_lat, lng: c_lng, radius_m } => {
                is_valid_coordinate(lat, lng)
                    && is_valid_coordinate(*c_lat, *c_lng)
                    && haversine_m(*c_lat, *c_lng, lat, lng) <= *radius_m
            }
            Area::Polygon(polygon) => polygon.contains(lat, lng),
            Area::Region(boundary) => boundary.contains(lat, lng),
        }
    }

    /// A conservative bounding box `(min_lat, min_lng, max_lat, max_lng)` of every point the
    /// area contains. A circle that reaches a pole or crosses the antimeridian gets the full
    /// longitude range; a circle that contains nothing gets an empty box (min > max).
    pub fn bounding_box(&self) -> (f64, f64, f64, f64) {
        match self {
            Area::Circle { lat, lng, radius_m } => {
                let boxes = circle_boxes(*lat, *lng, *radius_m);
                match boxes.as_slice() {
                    [] => (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY),
                    [single] => *single,
                    [first, ..] => (first.0, -180.0, first.2, 180.0),
                }
            }
            Area::Polygon(polygon) => polygon.bounding_box(),
            Area::Region(boundary) => boundary.bounding_box().unwrap_or((
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            )),
        }
    }
}

impl Area {
    /// The area's size in square kilometres: a circle's exactly (a spherical cap), a polygon's
    /// or region's (outer rings less holes) by the shoelace formula on a local equirectangular
    /// projection at the middle latitude of its bounding box, which is within a fraction of a
    /// per cent for areas the size of a county. 0 for an area that contains nothing.
    pub fn km2(&self) -> f64 {
        match self {
            Area::Circle { lat, lng, radius_m } => {
                if !is_valid_coordinate(*lat, *lng) || radius_m.is_nan() || *radius_m < 0.0 {
                    return 0.0;
                }
                let angle = (radius_m / EARTH_RADIUS_M).min(PI);
                2.0 * PI * EARTH_RADIUS_M * EARTH_RADIUS_M * (1.0 - angle.cos()) / 1e6
            }
            Area::Polygon(polygon) => {
                let (min_lat, _, max_lat, _) = polygon.bounding_box();
                let ring: Vec<[f64; 2]> =
                    polygon.vertices().into_iter().map(|(lat, lng)| [lat, lng]).collect();
                ring_km2(&ring, (min_lat + max_lat) / 2.0)
            }
            Area::Region(boundary) => {
                let Some((min_lat, _, max_lat, _)) = boundary.bounding_box() else { return 0.0 };
                let middle = (min_lat + max_lat) / 2.0;
                let parts = boundary.parts.iter().map(|part| {
                    let mut rings = part.iter().map(|ring| ring_km2(ring, middle));
                    let outer = rings.next().unwrap_or(0.0);
                    (outer - rings.sum::<f64>()).max(0.0)
                });
                parts.sum()
            }
        }
    }
}

/// The area in km² enclosed by a ring of `[lat, lng]` vertices (closed implicitly), on an
/// equirectangular projection true at `middle_lat`.
fn ring_km2(ring: &[[f64; 2]], middle_lat: f64) -> f64 {
    let metres_per_degree = EARTH_RADIUS_M * PI / 180.0;
    let x_scale = metres_per_degree * middle_lat.to_radians().cos();
    let n = ring.len();
    let Some(&origin) = ring.first() else { return 0.0 };
    // Metres from the first vertex, so that the products stay small.
    let xy = |v: [f64; 2]| ((v[1] - origin[1]) * x_scale, (v[0] - origin[0]) * metres_per_degree);
    let twice_area: f64 = (0..n)
        .map(|i| {
            let ((ax, ay), (bx, by)) = (xy(ring[i]), xy(ring[(i + 1) % n]));
            ax * by - bx * ay
        })
        .sum();
    twice_area.abs() / 2.0 / 1e6
}

/// Conservative lat/lng boxes `(min_lat, min_lng, max_lat, max_lng)` covering a spherical cap:
/// none for an empty circle, two when it crosses the antimeridian, otherwise one.
pub(crate) fn circle_boxes(lat: f64, lng: f64, radius_m: f64) -> Vec<(f64, f64, f64, f64)> {
    if !is_valid_coordinate(lat, lng) || radius_m.is_nan() || radius_m < 0.0 {
        return Vec::new();
    }
    let delta = radius_m / EARTH_RADIUS_M;
    if delta >= PI / 2.0 {
        return vec![(-90.0, -180.0, 90.0, 180.0)];
    }
    let delta_deg = delta.to_degrees() * (1.0 + 1e-9) + CIRCLE_BOX_MARGIN_DEG;
    let (min_lat, max_lat) = (lat - delta_deg, lat + delta_deg);
    if min_lat <= -90.0 || max_lat >= 90.0 {
        // The cap reaches a pole: every longitude is possible.
        return vec![(min_lat.max(-90.0), -180.0, max_lat.min(90.0), 180.0)];
    }
    // Widest longitude reach of a cap not containing a pole: sin(dλ) = sin(δ) / cos(φ).
    let s = delta.sin() / lat.to_radians().cos();
    if s >= 0.99 {
        // Near the pole asin is ill-conditioned; give up on narrowing longitude.
        return vec![(min_lat, -180.0, max_lat, 180.0)];
    }
    let dlng = s.asin().to_degrees() * (1.0 + 1e-9) + CIRCLE_BOX_MARGIN_DEG;
    let (min_lng, max_lng) = (lng - dlng, lng + dlng);
    if min_lng < -180.0 {
        vec![(min_lat, min_lng + 360.0, max_lat, 180.0), (min_lat, -180.0, max_lat, max_lng)]
    } else if max_lng > 180.0 {
        vec![(min_lat, min_lng, max_lat, 180.0), (min_lat, -180.0, max_lat, max_lng - 360.0)]
    } else {
        vec![(min_lat, min_lng, max_lat, max_lng)]
    }
}
