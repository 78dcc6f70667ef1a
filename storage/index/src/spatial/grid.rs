//! Exact point-in-polygon for rings with many edges: a uniform grid over the rings' bounding
//! box in which every cell knows the edges that come near it, so that a test looks at a few
//! edges instead of all of them, and most cells are known to be wholly inside or outside.
//!
//! # Same answers as the every-edge test
//!
//! The every-edge test (`Polygon::contains`, and a `Boundary` part's) says a point `(x, y)` is
//! inside when it is near an edge (`near_segment`), or when an odd number of edges cross the
//! ray to its right: `crosses(e)` = `(a.y > y) != (b.y > y)` and `x < x_cross(e, y)`. Here each
//! edge is placed, per row of cells it meets, in the cells its stretch in that row meets, all
//! widened by [`MARGIN_DEG`] (a hundred times the boundary tolerance, and far more than any
//! rounding error at lat/lng magnitudes). For a point in cell `(r, c)`, every edge is then one
//! of:
//!
//! * **in the cell** (its list): tested exactly as the every-edge test does;
//! * **away from the row** (its latitudes, widened, miss the row): it neither crosses the ray
//!   (`a.y > y` equals `b.y > y`) nor is near;
//! * **left of the cell** in this row: not near, and `x` is past its crossing;
//! * **right of the cell** in this row: not near, and it crosses exactly when
//!   `(a.y > y) != (b.y > y)`.
//!
//! The parity of the right-of-cell edges' crossings is the parity, over their endpoints, of
//! `v.y > y` (each edge contributes its two endpoints; an endpoint shared by two such edges
//! cancels). Endpoints above or below the widened row give a constant; the others, kept per
//! cell as a bit set over its row's distinct endpoint latitudes, are compared with `y` at
//! query time (the set bits from the first latitude `> y` on). So a query evaluates the every-edge
//! test's own comparisons on the edges and endpoints that can change its answer, and takes the
//! others' contribution as computed once: the same answer, bit for bit. A cell with no edge in
//! it has no endpoints to compare either (an endpoint in the row whose partner edge is not right
//! of the cell puts that edge in the cell), so it is wholly inside or wholly outside.

use crate::neighbourhoods::near_segment;

/// How far (degrees, about 1 cm) each edge's reach is widened when it is placed in cells.
pub(crate) const MARGIN_DEG: f64 = 1e-7;

/// Cells per edge aimed at, and at most in total.
const CELLS_PER_EDGE: usize = 4;
const MAX_CELLS: usize = 1 << 18;

/// Edge-in-cell placements allowed per edge (plus a constant), bounding the work of building
/// the grid for rings whose edges are long (a comb whose teeth span every row).
const PLACEMENTS_PER_EDGE: usize = 24;

/// A straight edge from `a` to `b` in the plane x = longitude, y = latitude, in ring order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Edge {
    pub ax: f64,
    pub ay: f64,
    pub bx: f64,
    pub by: f64,
}

impl Edge {
    /// The every-edge test's crossing rule: the ray from `(x, y)` towards +x crosses the edge.
    fn crosses(&self, x: f64, y: f64) -> bool {
        (self.ay > y) != (self.by > y)
            && x < self.ax + (y - self.ay) * (self.bx - self.ax) / (self.by - self.ay)
    }

    fn near(&self, x: f64, y: f64) -> bool {
        near_segment(self.ax, self.ay, self.bx, self.by, x, y)
    }
}

/// What a cell says about the points in it without looking at any edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// Every point here is inside.
    Inside,
    /// Every point here is outside.
    Outside,
    /// Some edge comes near: only the exact test can tell.
    Unsure,
}

/// The grid of one set of rings (a polygon's ring, or a part's outer ring and holes) whose
/// membership is the even-odd rule over all of them plus nearness to any edge.
#[derive(Debug, Clone)]
pub(crate) struct EdgeGrid {
    edges: Vec<Edge>,
    /// Points outside `[min_x, max_x] × [min_y, max_y]` (the edges' box widened by the margin)
    /// are outside.
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
    /// Origin and size of the cells (a further margin around the box).
    x0: f64,
    y0: f64,
    cell_w: f64,
    cell_h: f64,
    cols: usize,
    rows: usize,
    /// Per cell: whether the right-of-cell endpoints above the widened row are odd in number.
    odd_above: Vec<bool>,
    /// Per cell (row-major), the range of its edges in `cell_edges` (`cells + 1` offsets).
    edge_start: Vec<u32>,
    cell_edges: Vec<u32>,
    /// The distinct endpoint latitudes (-0.0 as 0.0), ascending.
    ys: Vec<f64>,
    /// Per row, the range in `ys` of the latitudes within the widened row (rows overlap by
    /// the margins, so their ranges may too).
    row_ys: Vec<(u32, u32)>,
    /// Per cell, where in `odd_ys_words` its bit set over its row's latitudes starts (as many
    /// words as the row's latitudes need), or [`NO_ODD_YS`]: the right-of-cell endpoints'
    /// latitudes seen an odd number of times. Cells along a row share a set until an
    /// endpoint changes it.
    odd_ys_at: Vec<u32>,
    odd_ys_words: Vec<u64>,
}

/// `odd_ys_at` of a cell with no right-of-cell endpoint in its row seen an odd number of times.
const NO_ODD_YS: u32 = u32::MAX;

impl EdgeGrid {
    /// A grid over `edges` (each ring closed: the last vertex joined to the first), which must
    /// be finite and at least one.
    pub(crate) fn new(edges: Vec<Edge>) -> EdgeGrid {
        let (mut min_x, mut min_y) = (f64::INFINITY, f64::INFINITY);
        let (mut max_x, mut max_y) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for e in &edges {
            min_x = min_x.min(e.ax).min(e.bx);
            max_x = max_x.max(e.ax).max(e.bx);
            min_y = min_y.min(e.ay).min(e.by);
            max_y = max_y.max(e.ay).max(e.by);
        }
        let (min_x, min_y) = (min_x - MARGIN_DEG, min_y - MARGIN_DEG);
        let (max_x, max_y) = (max_x + MARGIN_DEG, max_y + MARGIN_DEG);
        let (x0, y0) = (min_x - MARGIN_DEG, min_y - MARGIN_DEG);
        let (width, height) = (max_x + MARGIN_DEG - x0, max_y + MARGIN_DEG - y0);
        let (cols, rows) = grid_size(&edges, width, height);
        let (cell_w, cell_h) = (width / cols as f64, height / rows as f64);
        let mut grid = EdgeGrid {
            edges,
            min_x,
            min_y,
            max_x,
            max_y,
            x0,
            y0,
            cell_w,
            cell_h,
            cols,
            rows,
            odd_above: vec![false; cols * rows],
            edge_start: Vec::with_capacity(cols * rows + 1),
            cell_edges: Vec::new(),
            ys: Vec::new(),
            row_ys: Vec::with_capacity(rows),
            odd_ys_at: vec![NO_ODD_YS; cols * rows],
            odd_ys_words: Vec::new(),
        };
        grid.place_edges();
        grid
    }

    /// Fills the cells row by row: which edges each holds, and what the edges right of it add.
    fn place_edges(&mut self) {
        // Per row, the edges meeting it with their first and last cell in that row.
        let mut by_row: Vec<Vec<(u32, usize, usize)>> = vec![Vec::new(); self.rows];
        for (number, e) in self.edges.iter().enumerate() {
            let (lo, hi) = (e.ay.min(e.by) - MARGIN_DEG, e.ay.max(e.by) + MARGIN_DEG);
            let (first_row, last_row) = (self.row_of(lo), self.row_of(hi));
            for (row, placed) in by_row.iter_mut().enumerate().take(last_row + 1).skip(first_row) {
                let (row_lo, row_hi) = self.row_span(row);
                // The edge's stretch within the widened row.
                let (y_a, y_b) = (lo.max(row_lo), hi.min(row_hi));
                if y_a > y_b {
                    continue;
                }
                let (x_a, x_b) = if e.ay == e.by {
                    (e.ax, e.bx)
                } else {
                    let x_at = |y: f64| {
                        let y = y.clamp(e.ay.min(e.by), e.ay.max(e.by));
                        e.ax + (y - e.ay) * (e.bx - e.ax) / (e.by - e.ay)
                    };
                    (x_at(y_a), x_at(y_b))
                };
                let first = self.col_of(x_a.min(x_b) - MARGIN_DEG);
                let last = self.col_of(x_a.max(x_b) + MARGIN_DEG);
                placed.push((number as u32, first, last));
            }
        }

        // Every endpoint latitude once (-0.0 as 0.0), ascending: each row's bits are a range.
        // Sorted as integers in `f64::total_cmp`'s order, which is cheaper than comparing floats.
        let mut keys: Vec<u64> =
            self.edges.iter().flat_map(|e| [order_key(e.ay), order_key(e.by)]).collect();
        keys.sort_unstable();
        keys.dedup();
        let ys: Vec<f64> = keys.into_iter().map(from_order_key).collect();

        // Reused from row to row: each cell's edges, and the odd endpoints right of the walk.
        let mut row_edges: Vec<Vec<u32>> = vec![Vec::new(); self.cols];
        let mut odd_ys: Vec<u64> = Vec::new();
        let placements: usize =
            by_row.iter().flatten().map(|&(_, first, last)| last - first + 1).sum();
        self.cell_edges.reserve_exact(placements);
        for (row, mut placed) in by_row.into_iter().enumerate() {
            let (row_lo, row_hi) = self.row_span(row);
            let from = ys.partition_point(|&y| y < row_lo);
            let to = from + ys[from..].partition_point(|&y| y <= row_hi);
            let row_ys = &ys[from..to];
            self.row_ys.push((from as u32, to as u32));
            let words = row_ys.len().div_ceil(64);
            odd_ys.clear();
            odd_ys.resize(words, 0);
            // Edges by first cell, last first: walking the row leftwards, an edge joins the
            // right-of-cell set once the walk passes its first cell.
            placed.sort_unstable_by_key(|&(_, first, _)| std::cmp::Reverse(first));
            for cell in &mut row_edges {
                cell.clear();
            }
            for &(number, first, last) in &placed {
                for cell in &mut row_edges[first..=last] {
                    cell.push(number);
                }
            }
            let mut next = 0;
            let mut odd_above = false;
            // Where the walk's current set was stored, if it has any bit.
            let mut stored = NO_ODD_YS;
            for col in (0..self.cols).rev() {
                let mut changed = false;
                while next < placed.len() && placed[next].1 > col {
                    let e = self.edges[placed[next].0 as usize];
                    for y in [e.ay, e.by] {
                        if y > row_hi {
                            odd_above = !odd_above;
                        } else if y >= row_lo {
                            let y = y + 0.0;
                            let bit = row_ys.partition_point(|v| v.total_cmp(&y).is_lt());
                            odd_ys[bit / 64] ^= 1 << (bit % 64);
                            changed = true;
                        }
                    }
                    next += 1;
                }
                if changed {
                    stored = if odd_ys.iter().any(|&w| w != 0) {
                        let at = self.odd_ys_words.len() as u32;
                        self.odd_ys_words.extend_from_slice(&odd_ys);
                        at
                    } else {
                        NO_ODD_YS
                    };
                }
                let cell = row * self.cols + col;
                self.odd_above[cell] = odd_above;
                self.odd_ys_at[cell] = stored;
            }
            for cell_edges in &row_edges {
                self.edge_start.push(self.cell_edges.len() as u32);
                self.cell_edges.extend_from_slice(cell_edges);
            }
        }
        self.edge_start.push(self.cell_edges.len() as u32);
        self.ys = ys;
    }

    /// The widened latitude span of a row: its cells' edges plus the margin.
    fn row_span(&self, row: usize) -> (f64, f64) {
        let lo = self.y0 + row as f64 * self.cell_h;
        (lo - MARGIN_DEG, lo + self.cell_h + MARGIN_DEG)
    }

    fn row_of(&self, y: f64) -> usize {
        cell_index((y - self.y0) / self.cell_h, self.rows)
    }

    fn col_of(&self, x: f64) -> usize {
        cell_index((x - self.x0) / self.cell_w, self.cols)
    }

    /// The cell of `(x, y)`, `None` outside the box.
    fn cell_of(&self, x: f64, y: f64) -> Option<usize> {
        if !(x >= self.min_x && x <= self.max_x && y >= self.min_y && y <= self.max_y) {
            return None;
        }
        Some(self.row_of(y) * self.cols + self.col_of(x))
    }

    /// What the cell of `(x, y)` knows without an exact test.
    pub(crate) fn membership(&self, x: f64, y: f64) -> Membership {
        let Some(cell) = self.cell_of(x, y) else { return Membership::Outside };
        if self.edge_start[cell] != self.edge_start[cell + 1] || self.odd_ys_at[cell] != NO_ODD_YS {
            Membership::Unsure
        } else if self.odd_above[cell] {
            Membership::Inside
        } else {
            Membership::Outside
        }
    }

    /// The every-edge test's answer for `(x, y)` (see the module documentation).
    pub(crate) fn contains(&self, x: f64, y: f64) -> bool {
        let Some(cell) = self.cell_of(x, y) else { return false };
        let edges =
            &self.cell_edges[self.edge_start[cell] as usize..self.edge_start[cell + 1] as usize];
        let mut inside = self.odd_above[cell];
        let at = self.odd_ys_at[cell];
        if at != NO_ODD_YS {
            let (from, to) = self.row_ys[cell / self.cols];
            let ys = &self.ys[from as usize..to as usize];
            let odd_ys = &self.odd_ys_words[at as usize..at as usize + ys.len().div_ceil(64)];
            // The odd latitudes `v_y > y` (y is finite here): bits from the first such one on.
            let from = ys.partition_point(|&v_y| v_y <= y);
            let above: u32 = odd_ys
                .iter()
                .enumerate()
                .map(|(word, bits)| {
                    let first_bit = word * 64;
                    let mask = if from <= first_bit {
                        u64::MAX
                    } else if from - first_bit >= 64 {
                        0
                    } else {
                        u64::MAX << (from - first_bit)
                    };
                    (bits & mask).count_ones()
                })
                .sum();
            inside ^= above % 2 == 1;
        }
        for &number in edges {
            let e = &self.edges[number as usize];
            if e.near(x, y) {
                return true;
            }
            if e.crosses(x, y) {
                inside = !inside;
            }
        }
        inside
    }
}

/// `y` (-0.0 as 0.0) as an integer whose order is `f64::total_cmp`'s.
fn order_key(y: f64) -> u64 {
    let bits = (y + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The float whose [`order_key`] is `key`.
fn from_order_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 { key & !(1 << 63) } else { !key })
}

/// The cell at `offset` cells from the origin, among `count`: the floor, clamped (NaN: 0).
/// Truncation is the floor for the non-negative values it is given (and needs no call into
/// libm's `floor`, which the placement of every edge made thousands of times).
fn cell_index(offset: f64, count: usize) -> usize {
    if offset >= 0.0 {
        (offset as usize).min(count - 1)
    } else {
        0
    }
}

/// Columns and rows: about [`CELLS_PER_EDGE`] cells per edge in the box's proportions, then
/// fewer rows (or columns) while the edges' placements would exceed their budget.
fn grid_size(edges: &[Edge], width: f64, height: f64) -> (usize, usize) {
    let cells = (edges.len() * CELLS_PER_EDGE).clamp(16, MAX_CELLS) as f64;
    let mut cols = (cells * width / height).sqrt().clamp(1.0, 4096.0).round() as usize;
    let mut rows = (cells / cols as f64).clamp(1.0, 4096.0).round() as usize;
    cols = cols.max(1);
    rows = rows.max(1);
    // Each edge meets about 1 + rows × its height share + cols × its width share cells.
    let spans_y: f64 = edges.iter().map(|e| (e.ay - e.by).abs() / height).sum();
    let spans_x: f64 = edges.iter().map(|e| (e.ax - e.bx).abs() / width).sum();
    let budget = (edges.len() * PLACEMENTS_PER_EDGE + 4096) as f64;
    while rows > 1 && (rows as f64 * spans_y + cols as f64 * spans_x) > budget {
        if rows as f64 * spans_y >= cols as f64 * spans_x {
            rows = rows.div_ceil(2);
        } else if cols > 1 {
            cols = cols.div_ceil(2);
        } else {
            break;
        }
    }
    while cols > 1 && cols as f64 * spans_x > budget {
        cols = cols.div_ceil(2);
    }
    (cols, rows)
}
