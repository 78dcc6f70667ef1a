//! The R-tree over snap points.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::convert::Infallible;
use std::ops::ControlFlow;

use rstar::primitives::GeomWithData;
use rstar::{Envelope, ParentNode, RTree, RTreeNode, AABB};

use super::area::{circle_boxes, haversine_m, is_valid_coordinate, Area, EARTH_RADIUS_M};
use super::grid::Membership;
use super::prepared::PreparedArea;

/// Why [`SpatialIndex::query_within`] stopped without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryStop {
    /// The points' weights add up to more than the cap: a total above it (a lower bound of
    /// the area's).
    OverCap(usize),
    /// The area's bounding box(es) hold more points than the caller would look at.
    TooManyCandidates,
}

/// A tree entry: `[lat, lng]` in degrees and the point's position in the input slice.
type Entry = GeomWithData<[f64; 2], u32>;

/// An R-tree over points (snap points), each identified by its position in the input slice.
///
/// Immutable once built. Queries are exact: the tree only narrows the candidates, and every
/// answer is decided by [`Area::contains`] or [`haversine_m`], so results equal a brute-force
/// scan over the same points. `Default` is the empty index.
#[derive(Clone, Default)]
pub struct SpatialIndex {
    tree: RTree<Entry>,
}

impl std::fmt::Debug for SpatialIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpatialIndex").field("len", &self.len()).finish()
    }
}

impl SpatialIndex {
    /// Builds the index (one `RTree::bulk_load`) over `(lat, lng)` points. A point's id is its
    /// position in `points`. Points that are not valid coordinates (non-finite, latitude outside
    /// [-90, 90] or longitude outside [-180, 180]) are left out and never returned.
    ///
    /// # Panics
    /// If there are more than `u32::MAX` points.
    pub fn new(points: &[(f64, f64)]) -> SpatialIndex {
        assert!(u32::try_from(points.len()).is_ok(), "too many points for u32 ids");
        let entries: Vec<Entry> = points
            .iter()
            .enumerate()
            .filter(|(_, &(lat, lng))| is_valid_coordinate(lat, lng))
            .map(|(i, &(lat, lng))| GeomWithData::new([lat, lng], i as u32))
            .collect();
        SpatialIndex { tree: RTree::bulk_load(entries) }
    }

    /// Number of indexed points (the valid ones among those given to [`SpatialIndex::new`]).
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Bytes the tree holds on the heap: every node's child list (rstar does not expose the
    /// lists' capacity, so this counts their length).
    pub fn heap_bytes(&self) -> usize {
        fn node_bytes(node: &ParentNode<Entry>) -> usize {
            let children = node.children();
            let own = std::mem::size_of_val(children);
            own + children
                .iter()
                .map(|child| match child {
                    RTreeNode::Leaf(_) => 0,
                    RTreeNode::Parent(parent) => node_bytes(parent),
                })
                .sum::<usize>()
        }
        node_bytes(self.tree.root())
    }

    /// Whether no point is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Ids of every point inside the area (exactly those for which [`Area::contains`] is true),
    /// ascending. Polygons and regions are tested through a [`PreparedArea`], whose cost per
    /// point depends on the edges near it rather than on all of them.
    pub fn query(&self, area: &Area) -> Vec<u32> {
        let prepared = PreparedArea::new(area);
        let mut ids = Vec::new();
        let ControlFlow::<Infallible>::Continue(()) = self.for_each_candidate(area, |entry| {
            if prepared.contains(entry.geom()[0], entry.geom()[1]) {
                ids.push(entry.data);
            }
            ControlFlow::Continue(())
        });
        ids.sort_unstable();
        ids
    }

    /// As [`SpatialIndex::query`], unless the points' `weight`s (e.g. their crimes in a month)
    /// add up to more than `cap`: then `Err` with a total above `cap`, a lower bound of the
    /// area's, found cheaply where possible. Points in cells surely inside the area are
    /// counted first, without an edge test, and the search stops as soon as the total passes
    /// `cap`; only then are the points near the area's edges tested exactly.
    pub fn query_capped(
        &self,
        area: &Area,
        cap: usize,
        weight: impl FnMut(u32) -> usize,
    ) -> Result<Vec<u32>, usize> {
        match self.query_within(&PreparedArea::new(area), cap, weight, usize::MAX) {
            Ok(ids) => Ok(ids),
            Err(QueryStop::OverCap(total)) => Err(total),
            Err(QueryStop::TooManyCandidates) => unreachable!("no limit on candidates was set"),
        }
    }

    /// As [`SpatialIndex::query_capped`] over a prepared area, giving up (with
    /// [`QueryStop::TooManyCandidates`]) as soon as more than `max_candidates` points of the
    /// area's bounding box(es) would have to be looked at: a caller with a cheaper way to the
    /// answer than a large area's every point (e.g. a rare category's crimes) learns it
    /// early, having spent no more than that way would cost.
    pub fn query_within(
        &self,
        prepared: &PreparedArea<'_>,
        cap: usize,
        mut weight: impl FnMut(u32) -> usize,
        max_candidates: usize,
    ) -> Result<Vec<u32>, QueryStop> {
        let mut ids = Vec::new();
        let mut unsure = Vec::new();
        let mut total = 0usize;
        let mut looked_at = 0usize;
        let walk = self.for_each_candidate(prepared.area(), |entry| {
            if looked_at >= max_candidates {
                return ControlFlow::Break(QueryStop::TooManyCandidates);
            }
            looked_at += 1;
            let [lat, lng] = *entry.geom();
            match prepared.membership(lat, lng) {
                Membership::Inside => {
                    ids.push(entry.data);
                    total += weight(entry.data);
                    if total > cap {
                        return ControlFlow::Break(QueryStop::OverCap(total));
                    }
                }
                Membership::Unsure => unsure.push(entry),
                Membership::Outside => {}
            }
            ControlFlow::Continue(())
        });
        if let ControlFlow::Break(stop) = walk {
            return Err(stop);
        }
        for entry in unsure {
            if prepared.contains(entry.geom()[0], entry.geom()[1]) {
                ids.push(entry.data);
                total += weight(entry.data);
                if total > cap {
                    return Err(QueryStop::OverCap(total));
                }
            }
        }
        ids.sort_unstable();
        Ok(ids)
    }

    /// Offers `visit` every point in the area's bounding box(es) (every point the area can
    /// contain), until it breaks.
    ///
    /// A walk of the tree's nodes rather than rstar's `locate_in_envelope`, whose iterator
    /// pushes every child of each node it opens, points outside the box included, onto a
    /// stack and pops them one by one (8 % of a point query's time under load); here a node
    /// wholly inside the box gives its points without testing each against the box.
    fn for_each_candidate<'s, B>(
        &'s self,
        area: &Area,
        mut visit: impl FnMut(&'s Entry) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        let boxes = match area {
            Area::Circle { lat, lng, radius_m } => circle_boxes(*lat, *lng, *radius_m),
            Area::Polygon(polygon) => vec![polygon.bounding_box()],
            Area::Region(boundary) => boundary.bounding_box().into_iter().collect(),
        };
        let root = self.tree.root();
        for (min_lat, min_lng, max_lat, max_lng) in boxes {
            let envelope = AABB::from_corners([min_lat, min_lng], [max_lat, max_lng]);
            if envelope.intersects(&root.envelope()) {
                points_in_envelope(root, &envelope, &mut visit)?;
            }
        }
        ControlFlow::Continue(())
    }

    /// Id of the point nearest to `(lat, lng)` by great-circle distance ([`haversine_m`]), with
    /// that distance in metres. Ties go to the lowest id. `None` when the index is empty or the
    /// query is not a valid coordinate.
    ///
    /// Exact: a best-first walk of the tree ordered by a great-circle lower bound of each node's
    /// lat/lng box (correct across the antimeridian and at the poles), measuring points with
    /// [`haversine_m`] and stopping once the nearest unexplored box is farther than the best point.
    pub fn nearest(&self, lat: f64, lng: f64) -> Option<(u32, f64)> {
        if !is_valid_coordinate(lat, lng) || self.is_empty() {
            return None;
        }
        let mut best: Option<(f64, u32)> = None;
        let mut heap = BinaryHeap::new();
        heap.push(Reverse(Pending(0.0, self.tree.root())));
        while let Some(Reverse(Pending(bound, node))) = heap.pop() {
            if best.is_some_and(|(best_d, _)| bound > best_d) {
                break;
            }
            for child in node.children() {
                match child {
                    RTreeNode::Leaf(entry) => consider(&mut best, lat, lng, entry),
                    RTreeNode::Parent(parent) => {
                        let bound = box_lower_bound_m(lat, lng, &parent.envelope());
                        if best.is_none_or(|(best_d, _)| bound <= best_d) {
                            heap.push(Reverse(Pending(bound, parent)));
                        }
                    }
                }
            }
        }
        best.map(|(d, id)| (id, d))
    }
}

/// A tree node waiting in the nearest search, with a lower bound (metres) of its distance.
struct Pending<'a>(f64, &'a ParentNode<Entry>);

impl PartialEq for Pending<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0).is_eq()
    }
}

impl Eq for Pending<'_> {}

impl PartialOrd for Pending<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A lower bound (metres) of the great-circle distance from `(lat, lng)` to any point of the
/// lat/lng box, slightly reduced so floating-point rounding in [`haversine_m`] can never make a
/// point in the box measure nearer than the bound.
fn box_lower_bound_m(lat: f64, lng: f64, envelope: &AABB<[f64; 2]>) -> f64 {
    let [lat_lo, lng_lo] = envelope.lower();
    let [lat_hi, lng_hi] = envelope.upper();
    let exact = if (lng_lo..=lng_hi).contains(&lng) {
        // The query's own meridian crosses the box: the latitude gap is the distance.
        (lat_lo - lat).max(lat - lat_hi).max(0.0).to_radians() * EARTH_RADIUS_M
    } else {
        // Otherwise the nearest point lies on one of the two meridian edges.
        meridian_arc_distance_m(lat, lng, lng_lo, lat_lo, lat_hi)
            .min(meridian_arc_distance_m(lat, lng, lng_hi, lat_lo, lat_hi))
    };
    exact * (1.0 - 1e-9) - 1e-6
}

/// Great-circle distance (metres) from `(lat, lng)` to the meridian arc at `arc_lng` between
/// `lat_lo` and `lat_hi`: the distance along a great circle is unimodal, so the minimum is at an
/// end of the arc or at the foot of the perpendicular when that falls inside it.
fn meridian_arc_distance_m(lat: f64, lng: f64, arc_lng: f64, lat_lo: f64, lat_hi: f64) -> f64 {
    let ends = haversine_m(lat, lng, lat_lo, arc_lng).min(haversine_m(lat, lng, lat_hi, arc_lng));
    let phi = lat.to_radians();
    let foot = phi.sin().atan2(phi.cos() * (lng - arc_lng).to_radians().cos()).to_degrees();
    if foot > lat_lo && foot < lat_hi {
        ends.min(haversine_m(lat, lng, foot, arc_lng))
    } else {
        ends
    }
}

/// Replaces `best` (distance, id) with `entry` if it is nearer to `(lat, lng)`, or as near with a
/// lower id.
fn consider(best: &mut Option<(f64, u32)>, lat: f64, lng: f64, entry: &Entry) {
    let [p_lat, p_lng] = *entry.geom();
    let d = haversine_m(lat, lng, p_lat, p_lng);
    let better = match *best {
        None => true,
        Some((best_d, best_id)) => d < best_d || (d == best_d && entry.data < best_id),
    };
    if better {
        *best = Some((d, entry.data));
    }
}

/// Offers `visit` the points under `node` that lie in `envelope` (bounds included, as
/// rstar's `locate_in_envelope`), in the tree's order.
fn points_in_envelope<'s, B>(
    node: &'s ParentNode<Entry>,
    envelope: &AABB<[f64; 2]>,
    visit: &mut impl FnMut(&'s Entry) -> ControlFlow<B>,
) -> ControlFlow<B> {
    for child in node.children() {
        match child {
            RTreeNode::Leaf(entry) => {
                if envelope.contains_point(entry.geom()) {
                    visit(entry)?;
                }
            }
            RTreeNode::Parent(parent) => {
                let inner = parent.envelope();
                if envelope.contains_envelope(&inner) {
                    every_point(parent, visit)?;
                } else if envelope.intersects(&inner) {
                    points_in_envelope(parent, envelope, visit)?;
                }
            }
        }
    }
    ControlFlow::Continue(())
}

/// Offers `visit` every point under `node`.
fn every_point<'s, B>(
    node: &'s ParentNode<Entry>,
    visit: &mut impl FnMut(&'s Entry) -> ControlFlow<B>,
) -> ControlFlow<B> {
    for child in node.children() {
        match child {
            RTreeNode::Leaf(entry) => visit(entry)?,
            RTreeNode::Parent(parent) => every_point(parent, visit)?,
        }
    }
    ControlFlow::Continue(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The box bound never exceeds the distance to any point of the box (edges, corners and
    /// interior sampled densely), for boxes anywhere on the globe and queries anywhere.
    #[test]
    fn spatial_box_lower_bound_is_sound() {
        let mut state = 0x5EED_0005_u64;
        let mut unit = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        for case in 0..3_000 {
            let size: f64 = [0.01, 1.0, 20.0, 120.0][case % 4];
            let lat_lo = -90.0 + unit() * (180.0 - size.min(179.0));
            let lng_lo = -180.0 + unit() * (360.0 - size);
            let (lat_hi, lng_hi) = ((lat_lo + size * unit()).min(90.0), lng_lo + size * unit());
            let (lat, lng) = if case % 3 == 0 {
                // Beside the box, within its latitudes: the foot of the perpendicular matters.
                (lat_lo + (lat_hi - lat_lo) * unit(), -180.0 + 360.0 * unit())
            } else {
                (-90.0 + 180.0 * unit(), -180.0 + 360.0 * unit())
            };
            let envelope = AABB::from_corners([lat_lo, lng_lo], [lat_hi, lng_hi]);
            let bound = box_lower_bound_m(lat, lng, &envelope);
            let steps = 200;
            for i in 0..=steps {
                let t = i as f64 / steps as f64;
                let (p_lat, p_lng) =
                    (lat_lo + (lat_hi - lat_lo) * t, lng_lo + (lng_hi - lng_lo) * t);
                for (a, b) in [
                    (p_lat, lng_lo),
                    (p_lat, lng_hi),
                    (lat_lo, p_lng),
                    (lat_hi, p_lng),
                    (lat_lo + (lat_hi - lat_lo) * unit(), lng_lo + (lng_hi - lng_lo) * unit()),
                ] {
                    let d = haversine_m(lat, lng, a, b);
                    assert!(
                        bound <= d,
                        "case {case}: bound {bound} > {d} to ({a}, {b}) from ({lat}, {lng}) for {envelope:?}"
                    );
                }
            }
        }
    }
}
