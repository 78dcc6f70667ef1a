//! Forces and neighbourhoods as the API serves them: every resource pre-rendered as police.uk's
//! JSON when the snapshot is built, and the neighbourhood boundaries with an R-tree over their
//! envelopes for `locate-neighbourhood`.
//!
//! # Boundaries
//!
//! A [`Boundary`] is one or more parts, each an outer ring followed by its holes, vertices as
//! `[latitude, longitude]`, rings unclosed. A point is in a part when it lies within
//! [`BOUNDARY_TOLERANCE_DEG`] of one of the part's edges (boundaries are inclusive, as for
//! `poly`), or else when a ray from it crosses the part's rings (outer and holes together) an
//! odd number of times: inside the outer ring and not inside a hole. A point is in a boundary
//! when it is in one of its parts.
//!
//! [`BoundaryIndex::locate`] puts the envelope of every part (not of the whole boundary, so a
//! far-flung exclave does not widen its neighbour's box) into an R-tree, asks it for the parts
//! whose envelope holds the point, and tests only those. When several boundaries hold a point
//! (overlapping boundaries, or a point exactly on a shared edge) the one listed first wins:
//! boundaries are numbered in `/api/forces` order, then in each force's
//! `/api/{force}/neighbourhoods` order.
//!
//! # The boundary route
//!
//! police.uk's `/boundary` is a single ring. A boundary with holes or several parts is
//! written as one "keyhole" ring: every ring closed, one after the other (each part's outer
//! ring, then its holes), then back through the first vertices of the earlier rings to the
//! very first vertex. Every connecting segment is walked once each way, so under the even-odd
//! rule (the rule of `poly`) the ring covers exactly the neighbourhood: a client can pass the
//! boundary back as `poly` and get the neighbourhood's crimes.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use police_openapi::{
    ForceDetail, LatLng, LocatedNeighbourhood, NeighbourhoodDetail, NeighbourhoodEvent,
    NeighbourhoodPriority, NeighbourhoodSummary, Person,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;
use serde::{Deserialize, Serialize};

use crate::spatial::{is_valid_coordinate, Area, BOUNDARY_TOLERANCE_DEG};

mod geojson;
pub use geojson::GeoJsonRing;

/// A ring of `[latitude, longitude]` vertices, unclosed.
pub type Ring = Vec<[f64; 2]>;

/// A neighbourhood's boundary: parts, each an outer ring followed by its holes. Stored as
/// this JSON in `neighbourhoods.boundary`: `[[[[lat, lng], …outer], […hole], …], …part]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Boundary {
    pub parts: Vec<Vec<Ring>>,
}

/// Why a ring or part cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoundaryError {
    #[error("coordinate {0} is not a valid latitude/longitude")]
    InvalidCoordinate(String),
    #[error("a ring has {0} distinct vertices; at least 3 are needed")]
    TooFewVertices(usize),
    #[error("a polygon has no outer ring")]
    NoOuterRing,
}

impl Boundary {
    /// A boundary from parts (rings as `[lat, lng]`, closed or not): closing repeats and
    /// consecutive duplicate vertices are dropped, coordinates and vertex counts checked.
    pub fn new(parts: Vec<Vec<Ring>>) -> Result<Boundary, BoundaryError> {
        let parts = parts.into_iter().map(normalise_part).collect::<Result<_, _>>()?;
        Ok(Boundary { parts })
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Whether `(lat, lng)` lies in the boundary (see the module documentation).
    pub fn contains(&self, lat: f64, lng: f64) -> bool {
        is_valid_coordinate(lat, lng) && self.parts.iter().any(|part| part_contains(part, lat, lng))
    }

    /// `(min_lat, min_lng, max_lat, max_lng)` of every vertex; `None` when empty.
    pub fn bounding_box(&self) -> Option<(f64, f64, f64, f64)> {
        self.parts
            .iter()
            .filter_map(|part| part_envelope(part))
            .reduce(|a, b| (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)))
    }

    /// The single ring police.uk's `/boundary` route gives: see "The boundary route" in the
    /// module documentation. Closed (first vertex repeated last); empty for an empty boundary.
    pub fn keyhole_ring(&self) -> Vec<[f64; 2]> {
        let rings: Vec<&Ring> =
            self.parts.iter().flat_map(|part| part.iter()).filter(|r| !r.is_empty()).collect();
        let mut out = Vec::with_capacity(rings.iter().map(|r| r.len() + 2).sum());
        for ring in &rings {
            out.extend_from_slice(ring);
            out.push(ring[0]);
        }
        for ring in rings.iter().rev().skip(1) {
            out.push(ring[0]);
        }
        out
    }

    /// The JSON of `/boundary`: `[{"latitude":"…","longitude":"…"},…]`, 10 decimals.
    pub fn render(&self) -> Vec<u8> {
        let ring = self.keyhole_ring();
        let mut out = String::with_capacity(ring.len() * 56 + 2);
        out.push('[');
        for (k, [lat, lng]) in ring.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let _ = write!(out, r#"{{"latitude":"{lat:.10}","longitude":"{lng:.10}"}}"#);
        }
        out.push(']');
        out.into_bytes()
    }
}

fn normalise_part(rings: Vec<Ring>) -> Result<Vec<Ring>, BoundaryError> {
    if rings.is_empty() {
        return Err(BoundaryError::NoOuterRing);
    }
    rings.into_iter().map(normalise_ring).collect()
}

fn normalise_ring(ring: Ring) -> Result<Ring, BoundaryError> {
    let mut out: Ring = Vec::with_capacity(ring.len());
    for [lat, lng] in ring {
        if !lat.is_finite() || !lng.is_finite() || !is_valid_coordinate(lat, lng) {
            return Err(BoundaryError::InvalidCoordinate(format!("{lat},{lng}")));
        }
        if out.last() != Some(&[lat, lng]) {
            out.push([lat, lng]);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    let mut distinct = out.clone();
    distinct.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    distinct.dedup();
    if distinct.len() < 3 {
        return Err(BoundaryError::TooFewVertices(distinct.len()));
    }
    Ok(out)
}

fn part_envelope(part: &[Ring]) -> Option<(f64, f64, f64, f64)> {
    let mut vertices = part.iter().flatten();
    let first = vertices.next()?;
    Some(vertices.fold((first[0], first[1], first[0], first[1]), |b, v| {
        (b.0.min(v[0]), b.1.min(v[1]), b.2.max(v[0]), b.3.max(v[1]))
    }))
}

/// The membership test of one part (outer ring and holes): on an edge, or an odd number of
/// crossings over all its rings.
pub(crate) fn part_contains(part: &[Ring], lat: f64, lng: f64) -> bool {
    let (x, y) = (lng, lat);
    let mut inside = false;
    for ring in part {
        let n = ring.len();
        for i in 0..n {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            let (ax, ay, bx, by) = (a[1], a[0], b[1], b[0]);
            if near_segment(ax, ay, bx, by, x, y) {
                return true;
            }
            if (ay > y) != (by > y) {
                let x_cross = ax + (y - ay) * (bx - ax) / (by - ay);
                if x < x_cross {
                    inside = !inside;
                }
            }
        }
    }
    inside
}

/// Whether `(x, y)` is within [`BOUNDARY_TOLERANCE_DEG`] of the segment `a`–`b`.
pub(crate) fn near_segment(ax: f64, ay: f64, bx: f64, by: f64, x: f64, y: f64) -> bool {
    let t = BOUNDARY_TOLERANCE_DEG;
    if x < ax.min(bx) - t || x > ax.max(bx) + t || y < ay.min(by) - t || y > ay.max(by) + t {
        return false;
    }
    let (dx, dy) = (bx - ax, by - ay);
    let (px, py) = (x - ax, y - ay);
    let len2 = dx * dx + dy * dy;
    let s = if len2 > 0.0 { ((px * dx + py * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let (ex, ey) = (px - s * dx, py - s * dy);
    ex * ex + ey * ey <= t * t
}

/// A tree entry: the envelope of one part, with (boundary number, part number).
type Envelope = GeomWithData<Rectangle<[f64; 2]>, (u32, u32)>;

/// Boundaries, numbered by their position, with an R-tree over the envelopes of their parts.
/// Immutable once built; `Default` is the empty index.
#[derive(Clone, Default)]
pub struct BoundaryIndex {
    tree: RTree<Envelope>,
    /// Shared, so that a v2 route can count inside one without copying it.
    boundaries: Vec<Arc<Boundary>>,
}

impl std::fmt::Debug for BoundaryIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundaryIndex")
            .field("boundaries", &self.boundaries.len())
            .field("parts", &self.tree.size())
            .finish()
    }
}

impl BoundaryIndex {
    /// Builds the index (one bulk load). A boundary's number is its position in `boundaries`;
    /// lower numbers win when boundaries overlap.
    ///
    /// # Panics
    /// If there are more than `u32::MAX` boundaries or parts of one boundary.
    pub fn new(boundaries: Vec<Boundary>) -> BoundaryIndex {
        assert!(u32::try_from(boundaries.len()).is_ok(), "too many boundaries");
        let t = BOUNDARY_TOLERANCE_DEG;
        let mut entries = Vec::new();
        for (number, boundary) in boundaries.iter().enumerate() {
            for (part_number, part) in boundary.parts.iter().enumerate() {
                if let Some((min_lat, min_lng, max_lat, max_lng)) = part_envelope(part) {
                    let rectangle = Rectangle::from_corners(
                        [min_lat - t, min_lng - t],
                        [max_lat + t, max_lng + t],
                    );
                    let key = (number as u32, u32::try_from(part_number).expect("parts fit u32"));
                    entries.push(GeomWithData::new(rectangle, key));
                }
            }
        }
        let boundaries = boundaries.into_iter().map(Arc::new).collect();
        BoundaryIndex { tree: RTree::bulk_load(entries), boundaries }
    }

    /// Number of boundaries.
    pub fn len(&self) -> usize {
        self.boundaries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.boundaries.is_empty()
    }

    /// Number of parts in the tree.
    pub fn part_count(&self) -> usize {
        self.tree.size()
    }

    pub fn boundary(&self, number: usize) -> Option<&Arc<Boundary>> {
        self.boundaries.get(number)
    }

    /// The lowest-numbered boundary holding `(lat, lng)`; `None` outside every boundary or for
    /// an invalid coordinate.
    pub fn locate(&self, lat: f64, lng: f64) -> Option<usize> {
        if !is_valid_coordinate(lat, lng) {
            return None;
        }
        let mut best: Option<u32> = None;
        for entry in self.tree.locate_all_at_point([lat, lng]) {
            let (number, part) = entry.data;
            if best.is_some_and(|b| b <= number) {
                continue;
            }
            if part_contains(&self.boundaries[number as usize].parts[part as usize], lat, lng) {
                best = Some(number);
            }
        }
        best.map(|b| b as usize)
    }

    /// What [`BoundaryIndex::locate`] must answer, by testing every boundary in order.
    pub fn locate_brute_force(&self, lat: f64, lng: f64) -> Option<usize> {
        self.boundaries.iter().position(|b| b.contains(lat, lng))
    }
}

/// One neighbourhood's resources, rendered.
#[derive(Debug, Default)]
pub struct NeighbourhoodResources {
    pub id: String,
    /// Its name, as `/api/{force}/neighbourhoods` gives it.
    pub name: String,
    /// `/api/{force}/{neighbourhood}`.
    pub detail: Vec<u8>,
    /// `/people`, `/events`, `/priorities`.
    pub people: Vec<u8>,
    pub events: Vec<u8>,
    pub priorities: Vec<u8>,
    /// Number of its boundary in [`NeighbourhoodData::boundaries`].
    boundary: Option<usize>,
}

/// One force's resources, rendered.
#[derive(Debug, Default)]
pub struct ForceResources {
    pub id: String,
    /// `/api/forces/{id}`.
    pub detail: Vec<u8>,
    /// `/api/forces/{id}/people`.
    pub people: Vec<u8>,
    /// `/api/{force}/neighbourhoods`.
    pub neighbourhood_list: Vec<u8>,
    neighbourhoods: HashMap<String, NeighbourhoodResources>,
    /// The neighbourhoods' ids in the order of `neighbourhood_list`.
    listed: Vec<String>,
}

impl ForceResources {
    /// A neighbourhood by its (case-sensitive) id.
    pub fn neighbourhood(&self, id: &str) -> Option<&NeighbourhoodResources> {
        self.neighbourhoods.get(id)
    }

    pub fn neighbourhood_count(&self) -> usize {
        self.neighbourhoods.len()
    }

    /// The force's neighbourhoods in the order `/api/{force}/neighbourhoods` lists them.
    pub fn listed_neighbourhoods(&self) -> impl Iterator<Item = &NeighbourhoodResources> {
        self.listed.iter().filter_map(|id| self.neighbourhoods.get(id))
    }

    /// The force's neighbourhoods, by id.
    pub fn neighbourhoods(&self) -> Vec<&NeighbourhoodResources> {
        let mut all: Vec<&NeighbourhoodResources> = self.neighbourhoods.values().collect();
        all.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        all
    }
}

/// Every force listed by `/api/forces` with its neighbourhoods, and their boundaries.
#[derive(Debug, Default)]
pub struct NeighbourhoodData {
    forces: HashMap<String, ForceResources>,
    boundaries: BoundaryIndex,
    /// The `locate-neighbourhood` answer for each boundary.
    located: Vec<Vec<u8>>,
    /// The force and neighbourhood ids of each boundary.
    located_ids: Vec<(String, String)>,
}

impl NeighbourhoodData {
    /// A force listed by `/api/forces` (never `btp`).
    pub fn force(&self, id: &str) -> Option<&ForceResources> {
        self.forces.get(id)
    }

    /// The JSON of `/boundary` (`[]` when no boundary was imported).
    pub fn boundary_json(&self, neighbourhood: &NeighbourhoodResources) -> Vec<u8> {
        match neighbourhood.boundary.and_then(|b| self.boundaries.boundary(b)) {
            Some(boundary) => boundary.render(),
            None => b"[]".to_vec(),
        }
    }

    /// A neighbourhood's boundary; `None` when none was imported.
    pub fn boundary(&self, neighbourhood: &NeighbourhoodResources) -> Option<&Boundary> {
        neighbourhood.boundary.and_then(|b| self.boundaries.boundary(b)).map(|b| b.as_ref())
    }

    /// A neighbourhood's boundary as a query area; `None` when none was imported.
    pub fn area(&self, neighbourhood: &NeighbourhoodResources) -> Option<Area> {
        let boundary = self.boundaries.boundary(neighbourhood.boundary?)?;
        Some(Area::Region(Arc::clone(boundary)))
    }

    /// The JSON of `locate-neighbourhood` for a point, if a boundary holds it.
    pub fn locate(&self, lat: f64, lng: f64) -> Option<&[u8]> {
        self.boundaries.locate(lat, lng).map(|b| self.located[b].as_slice())
    }

    /// The force and neighbourhood whose boundary holds a point (as `locate`).
    pub fn locate_neighbourhood(
        &self,
        lat: f64,
        lng: f64,
    ) -> Option<(&ForceResources, &NeighbourhoodResources)> {
        let (force_id, neighbourhood_id) =
            self.located_ids.get(self.boundaries.locate(lat, lng)?)?;
        let force = self.forces.get(force_id)?;
        Some((force, force.neighbourhood(neighbourhood_id)?))
    }

    pub fn boundaries(&self) -> &BoundaryIndex {
        &self.boundaries
    }

    /// Neighbourhoods over all forces.
    pub fn neighbourhood_count(&self) -> usize {
        self.forces.values().map(|f| f.neighbourhoods.len()).sum()
    }

    /// Builds the data from forces (in `/api/forces` order) and their neighbourhoods (each
    /// force's in list order); neighbourhoods of unknown forces are ignored.
    pub fn build(
        forces: Vec<(ForceDetail, Vec<Person>)>,
        neighbourhoods: Vec<StoredNeighbourhood>,
    ) -> anyhow::Result<NeighbourhoodData> {
        let mut data = NeighbourhoodData::default();
        let mut order: Vec<String> = Vec::with_capacity(forces.len());
        let mut lists: HashMap<String, Vec<NeighbourhoodSummary>> = HashMap::new();
        for (detail, people) in forces {
            order.push(detail.id.clone());
            lists.insert(detail.id.clone(), Vec::new());
            let resources = ForceResources {
                id: detail.id.clone(),
                detail: serde_json::to_vec(&detail)?,
                people: serde_json::to_vec(&people)?,
                neighbourhood_list: Vec::new(),
                neighbourhoods: HashMap::new(),
                listed: Vec::new(),
            };
            data.forces.insert(detail.id, resources);
        }
        let rank: HashMap<&str, usize> =
            order.iter().enumerate().map(|(k, id)| (id.as_str(), k)).collect();
        let mut neighbourhoods: Vec<StoredNeighbourhood> =
            neighbourhoods.into_iter().filter(|n| rank.contains_key(n.force_id.as_str())).collect();
        // Stable: each force's neighbourhoods keep the order they were given in.
        neighbourhoods.sort_by_key(|n| rank[n.force_id.as_str()]);
        let mut boundaries = Vec::new();
        for n in neighbourhoods {
            let Some(force) = data.forces.get_mut(&n.force_id) else { continue };
            let mut detail = n.detail;
            if detail.centre.is_none() {
                detail.centre = n.boundary.as_ref().and_then(Boundary::bounding_box).map(
                    |(min_lat, min_lng, max_lat, max_lng)| LatLng {
                        latitude: format!("{:.6}", (min_lat + max_lat) / 2.0),
                        longitude: format!("{:.6}", (min_lng + max_lng) / 2.0),
                    },
                );
            }
            let boundary = match n.boundary {
                Some(boundary) if !boundary.is_empty() => {
                    boundaries.push(boundary);
                    data.located.push(serde_json::to_vec(&LocatedNeighbourhood {
                        force: n.force_id.clone(),
                        neighbourhood: detail.id.clone(),
                    })?);
                    data.located_ids.push((n.force_id.clone(), detail.id.clone()));
                    Some(boundaries.len() - 1)
                }
                _ => None,
            };
            if let Some(list) = lists.get_mut(&n.force_id) {
                list.push(NeighbourhoodSummary {
                    id: detail.id.clone(),
                    name: detail.name.clone(),
                });
            }
            let resources = NeighbourhoodResources {
                id: detail.id.clone(),
                name: detail.name.clone(),
                detail: serde_json::to_vec(&detail)?,
                people: serde_json::to_vec(&n.people)?,
                events: serde_json::to_vec(&n.events)?,
                priorities: serde_json::to_vec(&n.priorities)?,
                boundary,
            };
            force.neighbourhoods.insert(detail.id, resources);
        }
        for (id, list) in lists {
            if let Some(force) = data.forces.get_mut(&id) {
                force.neighbourhood_list = serde_json::to_vec(&list)?;
                force.listed = list.into_iter().map(|n| n.id).collect();
            }
        }
        data.boundaries = BoundaryIndex::new(boundaries);
        Ok(data)
    }
}

/// A neighbourhood as the store holds it.
#[derive(Debug, Clone)]
pub struct StoredNeighbourhood {
    pub force_id: String,
    pub detail: NeighbourhoodDetail,
    pub boundary: Option<Boundary>,
    pub people: Vec<Person>,
    pub events: Vec<NeighbourhoodEvent>,
    pub priorities: Vec<NeighbourhoodPriority>,
}

#[cfg(test)]
mod tests;
