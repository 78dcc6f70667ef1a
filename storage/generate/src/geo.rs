//! Force territories and neighbourhood boundaries.
//!
//! A force's territory is the part of its ellipse (with a low-frequency wobble) whose nearest
//! town, among the towns of all forces whose ellipses reach there, is one of its own; so
//! borders between forces run between real towns and forces hardly overlap. The territory is discretised into a grid of cells whose corners are
//! jittered deterministically from their grid coordinates and whose edges carry a few extra
//! vertices, so adjacent cells share edges exactly. Neighbourhoods are unions of cells grown
//! from seeds (denser seeding in towns), which tile the territory exactly; a few are given an
//! exclave (two polygons), and a few small town-centre neighbourhoods sit inside a cell of
//! another neighbourhood, which therefore has a hole of exactly that shape.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::places::{Place, PLACES};
use super::rng::{hash, unit, Rng};
use super::text::push_micro;

/// A vertex in micro-degrees: `[longitude, latitude]`.
pub type Pt = [i64; 2];

pub const KM_PER_DEG_LAT: f64 = 111.2;
const KM_PER_DEG_LNG_AT_EQUATOR: f64 = 111.32;
const TAG_JITTER: u64 = 0x6a69_7474;
const TAG_EDGE: u64 = 0x6564_6765;
const TAG_NOISE: u64 = 0x6e6f_6973;
const TAG_REGIONS: u64 = 0x7265_6769;

/// `cos` of an angle in degrees by its Taylor series, so that geography does not depend on
/// the platform's libm.
pub fn cos_deg(deg: f64) -> f64 {
    let x = deg * (std::f64::consts::PI / 180.0);
    let x2 = x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..=12 {
        let k = f64::from(k);
        term *= -x2 / ((2.0 * k - 1.0) * (2.0 * k));
        sum += term;
    }
    sum
}

/// Kilometres per degree of longitude at a latitude.
pub fn km_per_deg_lng(lat: f64) -> f64 {
    KM_PER_DEG_LNG_AT_EQUATOR * cos_deg(lat)
}

/// A force's weighted distance field: below 1 inside its (wobbly) ellipse.
#[derive(Debug, Clone, Copy)]
pub struct Territory {
    pub place: &'static Place,
    key: u64,
    kx: f64,
    /// The ellipse's half-widths, km: the place's, grown until every town is well inside.
    pub rx_km: f64,
    pub ry_km: f64,
    noise_lat: f64,
    noise_lng: f64,
}

impl Territory {
    pub fn new(place: &'static Place, seed: u64) -> Self {
        let kx = km_per_deg_lng(place.lat);
        let reach = place
            .towns
            .iter()
            .map(|t| {
                let dx = (t.lng - place.lng) * kx / place.rx_km;
                let dy = (t.lat - place.lat) * KM_PER_DEG_LAT / place.ry_km;
                (dx * dx + dy * dy).sqrt()
            })
            .fold(0.0, f64::max);
        let grow = (reach / 0.9).max(1.0);
        let (rx_km, ry_km) = (place.rx_km * grow, place.ry_km * grow);
        let scale_km = rx_km.max(ry_km) * 0.6;
        Territory {
            place,
            key: hash(&[seed, TAG_NOISE, fnv(place.id)]),
            kx,
            rx_km,
            ry_km,
            noise_lat: scale_km / KM_PER_DEG_LAT,
            noise_lng: scale_km / kx,
        }
    }

    /// Normalised distance from the centre: the territory is where this is at most 1.
    pub fn distance(&self, lat: f64, lng: f64) -> f64 {
        let dx = (lng - self.place.lng) * self.kx / self.rx_km;
        let dy = (lat - self.place.lat) * KM_PER_DEG_LAT / self.ry_km;
        (dx * dx + dy * dy).sqrt() * (1.0 + 0.1 * self.noise(lat, lng))
    }

    /// Smooth value noise in `[-1, 1]`.
    fn noise(&self, lat: f64, lng: f64) -> f64 {
        let u = (lng - self.place.lng) / self.noise_lng + 1000.0;
        let v = (lat - self.place.lat) / self.noise_lat + 1000.0;
        let (i, j) = (u.floor(), v.floor());
        let (fu, fv) = (u - i, v - j);
        let (su, sv) = (fu * fu * (3.0 - 2.0 * fu), fv * fv * (3.0 - 2.0 * fv));
        let at = |di: f64, dj: f64| {
            unit(hash(&[self.key, (i + di) as u64, (j + dj) as u64])) * 2.0 - 1.0
        };
        let bottom = at(0.0, 0.0) + (at(1.0, 0.0) - at(0.0, 0.0)) * su;
        let top = at(0.0, 1.0) + (at(1.0, 1.0) - at(0.0, 1.0)) * su;
        bottom + (top - bottom) * sv
    }
}

/// A stable 64-bit hash of a string (FNV-1a).
pub fn fnv(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// The territories of every geographic force (BTP excluded: it overlaps them all).
pub fn land_territories(seed: u64) -> Vec<Territory> {
    PLACES.iter().filter(|p| p.id != "btp").map(|p| Territory::new(p, seed)).collect()
}

/// Whether a point belongs to `own`: it must lie in `own`'s ellipse, and of all the towns of
/// the forces whose ellipses contain it, the nearest (relative to town size) must be one of
/// `own`'s. Borders between forces thus fall between real towns, and every town lies in its
/// own force.
fn claims(own: &Territory, rivals: &[Territory], lat: f64, lng: f64) -> bool {
    if own.distance(lat, lng) > 1.0 {
        return false;
    }
    if own.place.id == "btp" {
        return true;
    }
    let mut best = f64::INFINITY;
    let mut winner = "";
    for rival in rivals {
        if rival.place.id != own.place.id && rival.distance(lat, lng) > 1.0 {
            continue;
        }
        for town in rival.place.towns {
            let dx = (lng - town.lng) * rival.kx;
            let dy = (lat - town.lat) * KM_PER_DEG_LAT;
            let sigma = town_sigma_km(town.pop);
            let d = (dx * dx + dy * dy) / (sigma * sigma);
            if d < best {
                best = d;
                winner = rival.place.id;
            }
        }
    }
    winner == own.place.id
}

#[derive(Debug, Clone, Copy, Default)]
struct EdgeExtra {
    n: u8,
    pts: [Pt; 2],
}

/// The jittered grid over a force's bounding box.
#[derive(Debug, Clone)]
pub struct Grid {
    lat0: f64,
    lng0: f64,
    pub dlat: f64,
    pub dlng: f64,
    pub nx: usize,
    pub ny: usize,
    corners: Vec<Pt>,
    /// Edge from corner `(i, j)` to `(i + 1, j)`, indexed `j * nx + i`.
    h_edges: Vec<EdgeExtra>,
    /// Edge from corner `(i, j)` to `(i, j + 1)`, indexed `j * (nx + 1) + i`.
    v_edges: Vec<EdgeExtra>,
    pub kept: Vec<bool>,
}

fn micro(deg: f64) -> i64 {
    (deg * 1e6).round() as i64
}

impl Grid {
    fn new(place: &Place, key: u64, cell_km: f64, own: &Territory, rivals: &[Territory]) -> Self {
        let dlat = cell_km / KM_PER_DEG_LAT;
        let dlng = cell_km / km_per_deg_lng(place.lat);
        let nx = ((2.5 * own.rx_km / cell_km).ceil() as usize).max(1);
        let ny = ((2.5 * own.ry_km / cell_km).ceil() as usize).max(1);
        let lat0 = place.lat - ny as f64 * dlat / 2.0;
        let lng0 = place.lng - nx as f64 * dlng / 2.0;
        let mut corners = Vec::with_capacity((nx + 1) * (ny + 1));
        for j in 0..=ny {
            for i in 0..=nx {
                let h = hash(&[key, TAG_JITTER, i as u64, j as u64]);
                let jx = (unit(h) - 0.5) * 0.3;
                let jy = (unit(h.rotate_left(32)) - 0.5) * 0.3;
                corners.push([
                    micro(lng0 + (i as f64 + jx) * dlng),
                    micro(lat0 + (j as f64 + jy) * dlat),
                ]);
            }
        }
        let corner = |i: usize, j: usize| corners[j * (nx + 1) + i];
        // Extra vertices along an edge, offset sideways by up to 8% of a cell.
        let extra = |a: Pt, b: Pt, h: u64, horizontal: bool| {
            let n = (h % 3) as u8;
            let mut pts = [[0; 2]; 2];
            for (m, pt) in pts.iter_mut().enumerate().take(n as usize) {
                let t = (m as f64 + 1.0) / (f64::from(n) + 1.0);
                let off = (unit(hash(&[h, m as u64])) - 0.5) * 0.16;
                let x = a[0] as f64 + t * (b[0] - a[0]) as f64;
                let y = a[1] as f64 + t * (b[1] - a[1]) as f64;
                *pt = if horizontal {
                    [x.round() as i64, (y + off * dlat * 1e6).round() as i64]
                } else {
                    [(x + off * dlng * 1e6).round() as i64, y.round() as i64]
                };
            }
            EdgeExtra { n, pts }
        };
        let mut h_edges = Vec::with_capacity(nx * (ny + 1));
        for j in 0..=ny {
            for i in 0..nx {
                let h = hash(&[key, TAG_EDGE, 0, i as u64, j as u64]);
                h_edges.push(extra(corner(i, j), corner(i + 1, j), h, true));
            }
        }
        let mut v_edges = Vec::with_capacity((nx + 1) * ny);
        for j in 0..ny {
            for i in 0..=nx {
                let h = hash(&[key, TAG_EDGE, 1, i as u64, j as u64]);
                v_edges.push(extra(corner(i, j), corner(i, j + 1), h, false));
            }
        }
        let mut kept = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            for i in 0..nx {
                let lat = lat0 + (j as f64 + 0.5) * dlat;
                let lng = lng0 + (i as f64 + 0.5) * dlng;
                kept.push(claims(own, rivals, lat, lng));
            }
        }
        Grid { lat0, lng0, dlat, dlng, nx, ny, corners, h_edges, v_edges, kept }
    }

    pub fn cell_count(&self) -> usize {
        self.kept.iter().filter(|&&k| k).count()
    }

    fn corner(&self, i: usize, j: usize) -> Pt {
        self.corners[j * (self.nx + 1) + i]
    }

    /// Appends the vertices of the edge leaving corner `(i, j)` in direction `dir`
    /// (0 east, 1 north, 2 west, 3 south): the start corner, then the extra vertices.
    fn push_edge(&self, i: usize, j: usize, dir: u8, out: &mut Vec<Pt>) {
        out.push(self.corner(i, j));
        let (edge, reversed) = match dir {
            0 => (self.h_edges[j * self.nx + i], false),
            1 => (self.v_edges[j * (self.nx + 1) + i], false),
            2 => (self.h_edges[j * self.nx + i - 1], true),
            _ => (self.v_edges[(j - 1) * (self.nx + 1) + i], true),
        };
        let pts = &edge.pts[..edge.n as usize];
        if reversed {
            out.extend(pts.iter().rev());
        } else {
            out.extend(pts);
        }
    }

    /// The counter-clockwise outline of cell `(i, j)`, unclosed.
    pub fn cell_ring(&self, i: usize, j: usize, out: &mut Vec<Pt>) {
        out.clear();
        self.push_edge(i, j, 0, out);
        self.push_edge(i + 1, j, 1, out);
        self.push_edge(i + 1, j + 1, 2, out);
        self.push_edge(i, j + 1, 3, out);
    }

    /// The centre of a cell (mean of its corners).
    pub fn cell_centre(&self, i: usize, j: usize) -> [f64; 2] {
        let c = [
            self.corner(i, j),
            self.corner(i + 1, j),
            self.corner(i, j + 1),
            self.corner(i + 1, j + 1),
        ];
        [
            c.iter().map(|p| p[0] as f64).sum::<f64>() / 4.0,
            c.iter().map(|p| p[1] as f64).sum::<f64>() / 4.0,
        ]
    }

    /// The approximate (unjittered) cell of a point in degrees.
    fn nominal_cell(&self, lat: f64, lng: f64) -> (i64, i64) {
        (
            ((lng - self.lng0) / self.dlng).floor() as i64,
            ((lat - self.lat0) / self.dlat).floor() as i64,
        )
    }

    /// The kept cell whose outline contains the point, if any.
    pub fn locate(&self, p: Pt, scratch: &mut Vec<Pt>) -> Option<usize> {
        let (ci, cj) = self.nominal_cell(p[1] as f64 / 1e6, p[0] as f64 / 1e6);
        const ORDER: [(i64, i64); 9] =
            [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)];
        for (di, dj) in ORDER {
            let (i, j) = (ci + di, cj + dj);
            if i < 0 || j < 0 || i >= self.nx as i64 || j >= self.ny as i64 {
                continue;
            }
            let (i, j) = (i as usize, j as usize);
            self.cell_ring(i, j, scratch);
            if point_in_ring(p, scratch) {
                let cell = j * self.nx + i;
                return self.kept[cell].then_some(cell);
            }
        }
        None
    }

    /// The south-west and north-east corners of the grid, degrees.
    pub fn bounds(&self) -> ([f64; 2], [f64; 2]) {
        (
            [self.lat0, self.lng0],
            [self.lat0 + self.ny as f64 * self.dlat, self.lng0 + self.nx as f64 * self.dlng],
        )
    }
}

/// Even–odd test with a half-open rule, exact in integers: a point on an edge shared by two
/// rings belongs to exactly one of them.
pub fn point_in_ring(p: Pt, ring: &[Pt]) -> bool {
    let mut inside = false;
    let n = ring.len();
    for k in 0..n {
        let a = ring[k];
        let b = ring[(k + 1) % n];
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let lhs = i128::from(p[0] - a[0]) * i128::from(b[1] - a[1]);
            let rhs = i128::from(b[0] - a[0]) * i128::from(p[1] - a[1]);
            if (b[1] > a[1] && lhs < rhs) || (b[1] < a[1] && lhs > rhs) {
                inside = !inside;
            }
        }
    }
    inside
}

/// Twice the signed area of a ring (positive when counter-clockwise).
fn signed_area2(ring: &[Pt]) -> i128 {
    let n = ring.len();
    (0..n)
        .map(|k| {
            let (a, b) = (ring[k], ring[(k + 1) % n]);
            i128::from(a[0]) * i128::from(b[1]) - i128::from(b[0]) * i128::from(a[1])
        })
        .sum()
}

/// One neighbourhood: its id and its polygons, each a list of rings (outer first, then
/// holes), each ring unclosed.
#[derive(Debug, Clone)]
pub struct Boundary {
    pub id: String,
    pub polygons: Vec<Vec<Vec<Pt>>>,
}

/// A force's territory grid and neighbourhoods.
#[derive(Debug, Clone)]
pub struct ForceArea {
    pub grid: Grid,
    pub neighbourhoods: Vec<Boundary>,
}

/// Density of towns at a point: about 1 at a big town's centre, falling off with distance.
pub fn town_density(place: &Place, lat: f64, lng: f64) -> f64 {
    let kx = km_per_deg_lng(place.lat);
    let max_pop = place.towns.iter().map(|t| t.pop).fold(1.0, f64::max);
    place
        .towns
        .iter()
        .map(|t| {
            let sigma = town_sigma_km(t.pop);
            let dx = (lng - t.lng) * kx;
            let dy = (lat - t.lat) * KM_PER_DEG_LAT;
            (t.pop / max_pop) / (1.0 + (dx * dx + dy * dy) / (sigma * sigma))
        })
        .sum()
}

/// The spread of a town's streets around its centre, km.
pub fn town_sigma_km(pop: f64) -> f64 {
    0.2 + 0.11 * pop.sqrt()
}

impl ForceArea {
    /// The grid and `n` neighbourhoods of a force (`number` is its index in FORCES, or 44 for
    /// BTP).
    pub fn build(
        place: &'static Place,
        number: u64,
        seed: u64,
        n: u32,
        rivals: &[Territory],
    ) -> anyhow::Result<Self> {
        let own = Territory::new(place, seed);
        let key = hash(&[seed, number, TAG_JITTER]);
        let n = n as usize;
        let target = (3 * n.max(1)) as f64;
        let mut cell_km = (std::f64::consts::PI * own.rx_km * own.ry_km / target).sqrt();
        let mut grid = Grid::new(place, key, cell_km, &own, rivals);
        for _ in 0..12 {
            let count = grid.cell_count() as f64;
            if count >= n.max(1) as f64 && (0.75 * target..=1.3 * target).contains(&count) {
                break;
            }
            let factor = if count == 0.0 { 0.5 } else { (count / target).sqrt().clamp(0.5, 2.0) };
            cell_km *= factor;
            grid = Grid::new(place, key, cell_km, &own, rivals);
        }
        let mut tries = 0;
        while grid.cell_count() < n.max(1) {
            tries += 1;
            anyhow::ensure!(
                tries < 60,
                "force {} has no territory to place boundaries in",
                place.id
            );
            cell_km *= 0.85;
            grid = Grid::new(place, key, cell_km, &own, rivals);
        }
        let neighbourhoods =
            if n == 0 { Vec::new() } else { partition(&grid, place, number, seed, n) };
        Ok(ForceArea { grid, neighbourhoods })
    }
}

const NONE: u32 = u32::MAX;

fn neighbours4(grid: &Grid, cell: usize) -> impl Iterator<Item = usize> + '_ {
    let (i, j) = (cell % grid.nx, cell / grid.nx);
    let mut out = [usize::MAX; 4];
    if i + 1 < grid.nx {
        out[0] = cell + 1;
    }
    if j + 1 < grid.ny {
        out[1] = cell + grid.nx;
    }
    if i > 0 {
        out[2] = cell - 1;
    }
    if j > 0 {
        out[3] = cell - grid.nx;
    }
    out.into_iter().filter(|&c| c != usize::MAX)
}

/// Distinct kept cells, drawn with probability proportional to `weights`.
fn pick_distinct(
    rng: &mut Rng,
    cells: &[usize],
    weights: &[f64],
    count: usize,
    taken: &mut [bool],
) -> Vec<usize> {
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut total = 0.0;
    for w in weights {
        total += w;
        cumulative.push(total);
    }
    let mut picked = Vec::with_capacity(count);
    while picked.len() < count {
        let mut choice = None;
        for _ in 0..20 {
            let target = rng.f64() * total;
            let k = cumulative.partition_point(|&c| c <= target).min(cells.len() - 1);
            if !taken[cells[k]] {
                choice = Some(cells[k]);
                break;
            }
        }
        let cell = match choice {
            Some(cell) => cell,
            None => match cells.iter().find(|&&c| !taken[c]) {
                Some(&cell) => cell,
                None => break,
            },
        };
        taken[cell] = true;
        picked.push(cell);
    }
    picked
}

/// Splits the kept cells into `n` neighbourhoods and traces their outlines.
fn partition(grid: &Grid, place: &Place, number: u64, seed: u64, n: usize) -> Vec<Boundary> {
    let mut rng = Rng::keyed(&[seed, number, TAG_REGIONS]);
    let cells: Vec<usize> = (0..grid.kept.len()).filter(|&c| grid.kept[c]).collect();
    let n_inner = if n >= 4 { (n / 15).max(1) } else { 0 };
    let n_regions = n - n_inner;
    let density: Vec<f64> = cells
        .iter()
        .map(|&c| {
            let [lng, lat] = grid.cell_centre(c % grid.nx, c / grid.nx);
            town_density(place, lat / 1e6, lng / 1e6)
        })
        .collect();
    let seed_weights: Vec<f64> = density.iter().map(|d| 0.4 + 2.0 * d).collect();
    let mut taken = vec![false; grid.kept.len()];
    let mut seeds = pick_distinct(&mut rng, &cells, &seed_weights, n_regions, &mut taken);
    // Number regions north to south, west to east, as police ids tend to run.
    seeds.sort_by_key(|&c| (grid.ny - c / grid.nx, c % grid.nx));

    let mut region = vec![NONE; grid.kept.len()];
    let mut frontier: Vec<(usize, u32)> = Vec::new();
    for (r, &cell) in seeds.iter().enumerate() {
        region[cell] = r as u32;
        frontier.extend(neighbours4(grid, cell).map(|c| (c, r as u32)));
    }
    // Random-order growth gives irregular shapes rather than diamonds.
    while !frontier.is_empty() {
        let (cell, r) = frontier.swap_remove(rng.index(frontier.len()));
        if !grid.kept[cell] || region[cell] != NONE {
            continue;
        }
        region[cell] = r;
        frontier.extend(neighbours4(grid, cell).filter(|&c| region[c] == NONE).map(|c| (c, r)));
    }
    // Islands that no seed reached join the nearest neighbourhood as an extra part.
    let assigned: Vec<usize> = cells.iter().copied().filter(|&c| region[c] != NONE).collect();
    for &cell in &cells {
        if region[cell] == NONE {
            let (i, j) = ((cell % grid.nx) as i64, (cell / grid.nx) as i64);
            let nearest = assigned
                .iter()
                .min_by_key(|&&c| {
                    let (ci, cj) = ((c % grid.nx) as i64, (c / grid.nx) as i64);
                    (ci - i).pow(2) + (cj - j).pow(2)
                })
                .copied();
            if let Some(nearest) = nearest {
                region[cell] = region[nearest];
            }
        }
    }
    add_exclaves(grid, &mut region, &mut rng, n_regions);

    let inner_weights: Vec<f64> = density.iter().map(|d| 0.05 + d).collect();
    let mut inner_taken = vec![false; grid.kept.len()];
    let inner_cells = pick_distinct(&mut rng, &cells, &inner_weights, n_inner, &mut inner_taken);
    let mut inner_of_cell: HashMap<usize, Vec<Pt>> = HashMap::new();
    let mut inner_polys = Vec::new();
    for &cell in &inner_cells {
        let ring = inner_ring(grid, cell, &mut rng);
        inner_of_cell.insert(cell, ring.iter().rev().copied().collect());
        inner_polys.push(vec![ring]);
    }

    let ids = neighbourhood_ids(place.id, number, n);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_regions];
    for &cell in &cells {
        members[region[cell] as usize].push(cell);
    }
    let mut boundaries: Vec<Boundary> = members
        .iter()
        .enumerate()
        .map(|(r, cells)| Boundary {
            id: ids[r].clone(),
            polygons: trace_region(grid, &region, r as u32, cells, &inner_of_cell),
        })
        .collect();
    for (k, polygons) in inner_polys.into_iter().enumerate() {
        boundaries.push(Boundary { id: ids[n_regions + k].clone(), polygons: vec![polygons] });
    }
    boundaries
}

/// Moves a few border cells to a nearby neighbourhood that does not touch them, giving that
/// neighbourhood a second part (exclaves exist in real boundary files).
fn add_exclaves(grid: &Grid, region: &mut [u32], rng: &mut Rng, n_regions: usize) {
    let wanted = if n_regions >= 6 { (n_regions / 25).max(1) } else { 0 };
    let kept: Vec<usize> = (0..region.len()).filter(|&c| region[c] != NONE).collect();
    let mut sizes = vec![0usize; n_regions];
    for &c in &kept {
        sizes[region[c] as usize] += 1;
    }
    let mut moved = vec![false; region.len()];
    let mut made = 0;
    for _ in 0..400 {
        if made >= wanted || kept.is_empty() {
            break;
        }
        let x = kept[rng.index(kept.len())];
        let b = region[x];
        if moved[x] || sizes[b as usize] < 3 {
            continue;
        }
        let (xi, xj) = ((x % grid.nx) as i64, (x / grid.nx) as i64);
        let at = |di: i64, dj: i64| -> Option<u32> {
            let (i, j) = (xi + di, xj + dj);
            if i < 0 || j < 0 || i >= grid.nx as i64 || j >= grid.ny as i64 {
                return None;
            }
            let r = region[j as usize * grid.nx + i as usize];
            (r != NONE).then_some(r)
        };
        let touching: Vec<u32> = (-1..=1)
            .flat_map(|di| (-1..=1).map(move |dj| (di, dj)))
            .filter_map(|(di, dj)| at(di, dj))
            .collect();
        // A region two cells away that does not touch x.
        let mut candidates: Vec<u32> = (-2i64..=2)
            .flat_map(|di| (-2i64..=2).map(move |dj| (di, dj)))
            .filter(|&(di, dj)| i64::max(di.abs(), dj.abs()) == 2)
            .filter_map(|(di, dj)| at(di, dj))
            .filter(|r| *r != b && !touching.contains(r))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        if candidates.is_empty() {
            continue;
        }
        let a = candidates[rng.index(candidates.len())];
        if !connected_without(grid, region, b, x) {
            continue;
        }
        region[x] = a;
        moved[x] = true;
        sizes[b as usize] -= 1;
        sizes[a as usize] += 1;
        made += 1;
    }
}

/// Whether region `r` stays 4-connected (as far as its largest part goes) without cell `x`:
/// checked by seeing that all of x's same-region neighbours remain mutually reachable.
fn connected_without(grid: &Grid, region: &[u32], r: u32, x: usize) -> bool {
    let starts: Vec<usize> = neighbours4(grid, x).filter(|&c| region[c] == r).collect();
    let Some(&first) = starts.first() else {
        return false;
    };
    let mut seen = vec![false; region.len()];
    seen[x] = true;
    seen[first] = true;
    let mut stack = vec![first];
    while let Some(c) = stack.pop() {
        for nb in neighbours4(grid, c) {
            if !seen[nb] && region[nb] == r {
                seen[nb] = true;
                stack.push(nb);
            }
        }
    }
    starts.iter().all(|&c| seen[c])
}

/// A small octagon well inside a cell (counter-clockwise).
fn inner_ring(grid: &Grid, cell: usize, rng: &mut Rng) -> Vec<Pt> {
    let [cx, cy] = grid.cell_centre(cell % grid.nx, cell / grid.nx);
    const H: f64 = std::f64::consts::FRAC_1_SQRT_2;
    const DIRS: [(f64, f64); 8] =
        [(1.0, 0.0), (H, H), (0.0, 1.0), (-H, H), (-1.0, 0.0), (-H, -H), (0.0, -1.0), (H, -H)];
    DIRS.iter()
        .map(|&(ux, uy)| {
            let r = rng.range(0.14, 0.2);
            [
                (cx + ux * r * grid.dlng * 1e6).round() as i64,
                (cy + uy * r * grid.dlat * 1e6).round() as i64,
            ]
        })
        .collect()
}

/// The polygons (outer ring plus holes) of one neighbourhood, from its cells' boundary edges.
fn trace_region(
    grid: &Grid,
    region: &[u32],
    r: u32,
    cells: &[usize],
    inner_of_cell: &HashMap<usize, Vec<Pt>>,
) -> Vec<Vec<Vec<Pt>>> {
    let nx = grid.nx;
    let in_region = |i: i64, j: i64| {
        i >= 0
            && j >= 0
            && i < nx as i64
            && j < grid.ny as i64
            && region[j as usize * nx + i as usize] == r
    };
    // 4-connected parts.
    let mut part: HashMap<usize, usize> = HashMap::new();
    let mut parts = 0;
    for &start in cells {
        if part.contains_key(&start) {
            continue;
        }
        part.insert(start, parts);
        let mut stack = vec![start];
        while let Some(c) = stack.pop() {
            for nb in neighbours4(grid, c) {
                if region[nb] == r && !part.contains_key(&nb) {
                    part.insert(nb, parts);
                    stack.push(nb);
                }
            }
        }
        parts += 1;
    }
    // Directed boundary edges with the region on their left: (corner i, corner j, dir).
    let mut edges: Vec<(usize, usize, u8)> = Vec::new();
    for &c in cells {
        let (i, j) = (c % nx, c / nx);
        let (ii, jj) = (i as i64, j as i64);
        if !in_region(ii, jj - 1) {
            edges.push((i, j, 0));
        }
        if !in_region(ii + 1, jj) {
            edges.push((i + 1, j, 1));
        }
        if !in_region(ii, jj + 1) {
            edges.push((i + 1, j + 1, 2));
        }
        if !in_region(ii - 1, jj) {
            edges.push((i, j + 1, 3));
        }
    }
    let mut outgoing: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    for (k, &(i, j, _)) in edges.iter().enumerate() {
        outgoing.entry((i, j)).or_default().push(k);
    }
    let end = |(i, j, dir): (usize, usize, u8)| match dir {
        0 => (i + 1, j),
        1 => (i, j + 1),
        2 => (i - 1, j),
        _ => (i, j - 1),
    };
    // The cell on the left of an edge.
    let left_cell = |(i, j, dir): (usize, usize, u8)| match dir {
        0 => j * nx + i,
        1 => j * nx + i - 1,
        2 => (j - 1) * nx + i - 1,
        _ => (j - 1) * nx + i,
    };
    let mut used = vec![false; edges.len()];
    let mut outers: Vec<Option<Vec<Pt>>> = vec![None; parts];
    let mut holes: Vec<Vec<Vec<Pt>>> = vec![Vec::new(); parts];
    for first in 0..edges.len() {
        if used[first] {
            continue;
        }
        let mut ring = Vec::new();
        let mut e = first;
        loop {
            used[e] = true;
            let (i, j, dir) = edges[e];
            grid.push_edge(i, j, dir, &mut ring);
            let next = &outgoing[&end(edges[e])];
            // At a corner where the region touches itself diagonally, turn left so that
            // each ring bounds one 4-connected part.
            let chosen = if next.len() == 1 {
                next[0]
            } else {
                let left = (dir + 1) % 4;
                *next.iter().find(|&&k| edges[k].2 == left).unwrap_or(&next[0])
            };
            if chosen == first {
                break;
            }
            e = chosen;
        }
        let p = part[&left_cell(edges[first])];
        if signed_area2(&ring) > 0 {
            outers[p] = Some(ring);
        } else {
            holes[p].push(ring);
        }
    }
    let mut cells_with_inner: Vec<usize> =
        cells.iter().copied().filter(|c| inner_of_cell.contains_key(c)).collect();
    cells_with_inner.sort_unstable();
    for c in cells_with_inner {
        holes[part[&c]].push(inner_of_cell[&c].clone());
    }
    outers
        .into_iter()
        .zip(holes)
        .filter_map(|(outer, holes)| {
            let mut rings = vec![outer?];
            rings.extend(holes);
            Some(rings)
        })
        .collect()
}

/// Neighbourhood ids in the style of the force: ward codes (`E05000026`), sector codes
/// (`NC04`), letter-number codes (`E37`), paired letters (`IC40`) or plain numbers (`179`).
fn neighbourhood_ids(force: &str, number: u64, n: usize) -> Vec<String> {
    let style = match force {
        "metropolitan" | "city-of-london" | "west-midlands" | "avon-and-somerset" => 0,
        "leicestershire" | "nottinghamshire" | "derbyshire" => 1,
        "lancashire" | "cumbria" | "durham" => 2,
        "staffordshire" | "west-mercia" | "warwickshire" => 3,
        "kent" | "sussex" | "essex" => 4,
        _ if super::places::is_welsh(force) => 0,
        _ => (number % 5) as u8,
    };
    let letters = |k: usize| -> String {
        if k < 26 {
            char::from(b'A' + k as u8).to_string()
        } else {
            let k = k - 26;
            format!(
                "{}{}",
                char::from(b'A' + (k / 26 % 26) as u8),
                char::from(b'A' + (k % 26) as u8)
            )
        }
    };
    const SECTORS: [&str; 11] = ["NC", "NE", "NW", "SC", "SE", "SW", "EC", "WC", "CC", "RN", "RS"];
    let mut number_step = hash(&[number, 0x6964]);
    (0..n)
        .map(|k| match style {
            0 => {
                let country = if super::places::is_welsh(force) { 'W' } else { 'E' };
                format!("{country}05{:06}", 1000 + number * 1500 + k as u64)
            }
            1 => {
                let prefix = match SECTORS.get(k / 20) {
                    Some(s) => (*s).to_owned(),
                    None => letters(26 + k / 20),
                };
                format!("{prefix}{:02}", k % 20 + 1)
            }
            2 => format!("{}{}", letters(k / 40), 10 + k % 40),
            3 => {
                let pair = k / 9;
                format!(
                    "{}{}{}",
                    char::from(b'A' + (pair / 26 % 26) as u8),
                    char::from(b'A' + (pair % 26) as u8),
                    (k % 9 + 1) * 10
                )
            }
            _ => {
                number_step = super::rng::mix64(number_step);
                format!("{}", 100 + 2 * k as u64 + (number_step & 1))
            }
        })
        .collect()
}

/// The KML of one neighbourhood, as police.uk's boundary download has it: one Placemark with
/// a Polygon, or a MultiGeometry of Polygons; rings closed, coordinates `lng,lat`.
pub fn kml(boundary: &Boundary) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n");
    out.push_str("<Document>\n<Placemark>\n");
    let _ = writeln!(out, "<name>{}</name>", boundary.id);
    let multi = boundary.polygons.len() > 1;
    if multi {
        out.push_str("<MultiGeometry>\n");
    }
    for rings in &boundary.polygons {
        out.push_str("<Polygon>\n");
        for (k, ring) in rings.iter().enumerate() {
            let tag = if k == 0 { "outerBoundaryIs" } else { "innerBoundaryIs" };
            let _ = write!(out, "<{tag}><LinearRing><coordinates>");
            let mut bytes = Vec::with_capacity(ring.len() * 22);
            for (m, p) in ring.iter().chain(ring.first()).enumerate() {
                if m > 0 {
                    bytes.push(b' ');
                }
                push_micro(&mut bytes, p[0]);
                bytes.push(b',');
                push_micro(&mut bytes, p[1]);
            }
            out.push_str(std::str::from_utf8(&bytes).unwrap_or_default());
            let _ = writeln!(out, "</coordinates></LinearRing></{tag}>");
        }
        out.push_str("</Polygon>\n");
    }
    if multi {
        out.push_str("</MultiGeometry>\n");
    }
    out.push_str("</Placemark>\n</Document>\n</kml>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::places::place;

    #[test]
    fn cosine_matches_std() {
        for deg in [0.0, 30.0, 50.5, 54.6, 60.0] {
            assert!((cos_deg(deg) - deg.to_radians().cos()).abs() < 1e-12);
        }
    }

    #[test]
    fn towns_lie_in_their_own_territory() {
        let rivals = land_territories(1);
        let mut misplaced = Vec::new();
        for place in PLACES {
            let own = Territory::new(place, 1);
            for town in place.towns {
                if !claims(&own, &rivals, town.lat, town.lng) {
                    misplaced.push(format!("{} / {}", place.id, town.name));
                }
            }
        }
        assert!(misplaced.is_empty(), "towns outside their force: {misplaced:?}");
    }

    #[test]
    fn neighbourhoods_tile_the_cells() {
        let rivals = land_territories(3);
        for (id, n) in [("leicestershire", 30), ("city-of-london", 12), ("kent", 5), ("surrey", 1)]
        {
            let place = place(id).unwrap();
            let area = ForceArea::build(place, 7, 3, n, &rivals).unwrap();
            assert_eq!(area.neighbourhoods.len(), n as usize);
            let grid = &area.grid;
            let mut ids: Vec<_> = area.neighbourhoods.iter().map(|b| b.id.clone()).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), n as usize);
            // Sample points across the grid: inside a kept cell ⇔ inside exactly one
            // neighbourhood.
            let (sw, ne) = grid.bounds();
            let mut rng = Rng::new(5);
            let mut scratch = Vec::new();
            for _ in 0..4000 {
                let p = [micro(rng.range(sw[1], ne[1])), micro(rng.range(sw[0], ne[0]))];
                let in_cell = grid.locate(p, &mut scratch).is_some();
                let containing = area
                    .neighbourhoods
                    .iter()
                    .filter(|b| {
                        b.polygons.iter().any(|rings| {
                            point_in_ring(p, &rings[0])
                                && !rings[1..].iter().any(|hole| point_in_ring(p, hole))
                        })
                    })
                    .count();
                assert!(containing <= 1, "{id}: overlap at {p:?}");
                assert_eq!(in_cell, containing == 1, "{id}: gap or spill at {p:?}");
            }
        }
    }
}
