//! An area made ready for many membership tests: polygons and region parts with many edges get
//! an [`EdgeGrid`] (same answers as [`Area::contains`], see the grid's documentation), regions
//! with several parts an R-tree over the parts' boxes.

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use super::area::{is_valid_coordinate, Area};
use super::circle::CircleTest;
use super::grid::{Edge, EdgeGrid, Membership, MARGIN_DEG};
use crate::neighbourhoods::{part_contains, Ring};

/// Rings with fewer edges than this are tested edge by edge: a grid would not pay for itself.
const MIN_EDGES_FOR_GRID: usize = 8;

/// A region part's box in the parts' R-tree, with the part's number.
type PartBox = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// An [`Area`] prepared for testing many points: [`PreparedArea::contains`] answers exactly as
/// [`Area::contains`] does, in time that depends on the edges near the point rather than on all
/// of them, and [`PreparedArea::membership`] says, without any edge test, whether a point is
/// surely inside, surely outside, or needs the exact test.
#[derive(Debug)]
pub struct PreparedArea<'a> {
    area: &'a Area,
    shape: Shape<'a>,
}

#[derive(Debug)]
enum Shape<'a> {
    /// A circle where [`CircleTest`] does not apply, or a polygon too small for a grid:
    /// [`Area::contains`] itself.
    AsIs,
    /// A circle tested without trigonometry except at its very edge.
    Circle(CircleTest),
    Polygon(EdgeGrid),
    Region {
        parts: Vec<Part<'a>>,
        boxes: RTree<PartBox>,
    },
}

#[derive(Debug)]
enum Part<'a> {
    Grid(Box<EdgeGrid>),
    EdgeByEdge(&'a [Ring]),
}

impl<'a> PreparedArea<'a> {
    /// Prepares `area` (a polygon's or region's grid is built here: about linear in its edges).
    pub fn new(area: &'a Area) -> PreparedArea<'a> {
        Self::with_grid_from(area, MIN_EDGES_FOR_GRID)
    }

    /// As [`PreparedArea::new`], with grids for rings of at least `min_edges` edges (tests use
    /// 1 to put every polygon through the grid).
    pub(crate) fn with_grid_from(area: &'a Area, min_edges: usize) -> PreparedArea<'a> {
        let shape = match area {
            Area::Circle { lat, lng, radius_m } => {
                CircleTest::new(*lat, *lng, *radius_m).map_or(Shape::AsIs, Shape::Circle)
            }
            Area::Polygon(polygon) => {
                let lines = polygon.as_geo().exterior().lines();
                let edges: Vec<Edge> = lines
                    .map(|l| Edge { ax: l.start.x, ay: l.start.y, bx: l.end.x, by: l.end.y })
                    .collect();
                if edges.len() >= min_edges.max(1) {
                    Shape::Polygon(EdgeGrid::new(edges))
                } else {
                    Shape::AsIs
                }
            }
            Area::Region(boundary) => {
                let mut parts = Vec::with_capacity(boundary.parts.len());
                let mut boxes = Vec::with_capacity(boundary.parts.len());
                for part in &boundary.parts {
                    let edges = part_edges(part);
                    let Some(envelope) = envelope(&edges) else { continue };
                    boxes.push(PartBox::new(Rectangle::from_aabb(envelope), parts.len()));
                    parts.push(if edges.len() >= min_edges.max(1) {
                        Part::Grid(Box::new(EdgeGrid::new(edges)))
                    } else {
                        Part::EdgeByEdge(part)
                    });
                }
                Shape::Region { parts, boxes: RTree::bulk_load(boxes) }
            }
        };
        PreparedArea { area, shape }
    }

    /// The area prepared.
    pub fn area(&self) -> &'a Area {
        self.area
    }

    /// Exactly [`Area::contains`].
    pub fn contains(&self, lat: f64, lng: f64) -> bool {
        match &self.shape {
            Shape::AsIs => self.area.contains(lat, lng),
            Shape::Circle(circle) => match circle.membership(lat, lng) {
                Membership::Inside => true,
                Membership::Outside => false,
                Membership::Unsure => self.area.contains(lat, lng),
            },
            Shape::Polygon(grid) => self.in_polygon_box(lat, lng) && grid.contains(lng, lat),
            Shape::Region { parts, boxes } => {
                is_valid_coordinate(lat, lng)
                    && boxes.locate_all_at_point([lat, lng]).any(|b| match &parts[b.data] {
                        Part::Grid(grid) => grid.contains(lng, lat),
                        Part::EdgeByEdge(rings) => part_contains(rings, lat, lng),
                    })
            }
        }
    }

    /// Whether `(lat, lng)` is surely inside or outside without an edge test (small polygons
    /// are tested exactly, which is as cheap), or needs [`PreparedArea::contains`].
    pub fn membership(&self, lat: f64, lng: f64) -> Membership {
        let exact = |inside: bool| if inside { Membership::Inside } else { Membership::Outside };
        match &self.shape {
            Shape::AsIs => exact(self.area.contains(lat, lng)),
            Shape::Circle(circle) => circle.membership(lat, lng),
            Shape::Polygon(grid) => {
                if self.in_polygon_box(lat, lng) {
                    grid.membership(lng, lat)
                } else {
                    Membership::Outside
                }
            }
            Shape::Region { parts, boxes } => {
                if !is_valid_coordinate(lat, lng) {
                    return Membership::Outside;
                }
                let mut answer = Membership::Outside;
                for b in boxes.locate_all_at_point([lat, lng]) {
                    let part = match &parts[b.data] {
                        Part::Grid(grid) => grid.membership(lng, lat),
                        Part::EdgeByEdge(rings) => exact(part_contains(rings, lat, lng)),
                    };
                    match part {
                        Membership::Inside => return Membership::Inside,
                        Membership::Unsure => answer = Membership::Unsure,
                        Membership::Outside => {}
                    }
                }
                answer
            }
        }
    }

    /// The first checks of `Polygon::contains`: a valid coordinate in the polygon's box.
    fn in_polygon_box(&self, lat: f64, lng: f64) -> bool {
        let Area::Polygon(polygon) = self.area else { return false };
        let (min_lat, min_lng, max_lat, max_lng) = polygon.bounding_box();
        is_valid_coordinate(lat, lng)
            && lat >= min_lat
            && lat <= max_lat
            && lng >= min_lng
            && lng <= max_lng
    }
}

/// The edges of a part's rings, as `part_contains` walks them (each ring closed).
fn part_edges(part: &[Ring]) -> Vec<Edge> {
    let mut edges = Vec::new();
    for ring in part {
        let n = ring.len();
        for i in 0..n {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            edges.push(Edge { ax: a[1], ay: a[0], bx: b[1], by: b[0] });
        }
    }
    edges
}

/// The `[lat, lng]` box of the edges, widened by the grid's margin (no point outside it is in
/// the part); `None` without edges.
fn envelope(edges: &[Edge]) -> Option<AABB<[f64; 2]>> {
    let first = edges.first()?;
    let mut lo = [first.ay, first.ax];
    let mut hi = lo;
    for e in edges {
        lo = [lo[0].min(e.ay).min(e.by), lo[1].min(e.ax).min(e.bx)];
        hi = [hi[0].max(e.ay).max(e.by), hi[1].max(e.ax).max(e.bx)];
    }
    let m = 2.0 * MARGIN_DEG;
    Some(AABB::from_corners([lo[0] - m, lo[1] - m], [hi[0] + m, hi[1] + m]))
}
