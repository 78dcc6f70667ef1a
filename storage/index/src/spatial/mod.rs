//! The pure spatial part of the in-memory index: query areas (police.uk's one-mile circle and
//! `poly` polygon), their exact membership tests, and an R-tree over snap points that answers
//! area and nearest-point queries exactly as a brute-force scan would. No database types here.
//!
//! ```
//! use police_index::spatial::{parse_poly, Area, SpatialIndex, ONE_MILE_M};
//! let points = [(52.629729, -1.131592), (52.630, -1.132), (53.48, -2.24)];
//! let index = SpatialIndex::new(&points);
//! let circle = Area::Circle { lat: 52.629729, lng: -1.131592, radius_m: ONE_MILE_M };
//! assert_eq!(index.query(&circle), vec![0, 1]);
//! let poly = Area::Polygon(parse_poly("52.62,-1.14:52.64,-1.14:52.64,-1.12:52.62,-1.12").unwrap());
//! assert_eq!(index.query(&poly), vec![0, 1]);
//! assert_eq!(index.nearest(53.0, -2.0).map(|(id, _)| id), Some(2));
//! ```

mod area;
mod circle;
mod grid;
mod index;
mod prepared;
#[cfg(test)]
mod tests;

pub use area::{
    haversine_m, is_valid_coordinate, parse_poly, Area, AreaError, Polygon, BOUNDARY_TOLERANCE_DEG,
    EARTH_RADIUS_M, ONE_MILE_M,
};
pub use grid::Membership;
pub use index::{QueryStop, SpatialIndex};
pub use prepared::PreparedArea;
