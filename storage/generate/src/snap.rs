//! Snap points ("map points"): clustered around towns like streets are, named like police.uk
//! names them, each in a fixed LSOA; plus how attractive each is to crime.

use std::collections::{HashMap, HashSet};

use super::geo::{km_per_deg_lng, town_sigma_km, Grid, Pt, KM_PER_DEG_LAT};
use super::places::{
    crime_magnet, poi_kind, Place, Poi, Town, FIXED_STREETS, PLACES, POIS, STREET_SUFFIXES,
    STREET_WORDS,
};
use super::rng::Rng;
use super::text::{csv_field, push_u64};

const TAG_POINTS: u64 = 0x706f_696e;

const KIND_STREET: u32 = 0;
const KIND_FIXED: u32 = 1;
const KIND_ROAD: u32 = 2;
const KIND_POI: u32 = 3;

/// One snap point.
#[derive(Debug, Clone, Copy)]
pub struct SnapPoint {
    /// `[longitude, latitude]` in micro-degrees.
    pub pt: Pt,
    /// Packed name: kind in the top two bits, then word indices.
    name: u32,
    /// Index into [`SnapPoints::lsoas`]; LSOAs are numbered in name order.
    pub lsoa: u32,
}

impl SnapPoint {
    /// The POI kind (index into POIS), or `None` for a street.
    pub fn poi(&self) -> Option<usize> {
        (self.name >> 30 == KIND_POI).then_some((self.name & 0xffff) as usize)
    }

    /// Appends the `Location` field: `On or near <name>`.
    pub fn push_name(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(b"On or near ");
        let low = self.name & 0x3fff_ffff;
        match self.name >> 30 {
            KIND_STREET => {
                buf.extend_from_slice(STREET_WORDS[(low >> 8) as usize].as_bytes());
                buf.push(b' ');
                buf.extend_from_slice(STREET_SUFFIXES[(low & 0xff) as usize].0.as_bytes());
            }
            KIND_FIXED => buf.extend_from_slice(FIXED_STREETS[low as usize].as_bytes()),
            KIND_ROAD => {
                buf.push(if low >> 16 == 0 { b'A' } else { b'B' });
                push_u64(buf, u64::from(low & 0xffff));
            }
            _ => buf.extend_from_slice(POIS[low as usize].name.as_bytes()),
        }
    }
}

/// An LSOA's CSV fields, already quoted where needed (empty for Northern Ireland).
#[derive(Debug, Clone)]
pub struct Lsoa {
    pub code: String,
    pub name: String,
}

/// A force's snap points.
#[derive(Debug, Clone)]
pub struct SnapPoints {
    pub points: Vec<SnapPoint>,
    pub lsoas: Vec<Lsoa>,
    /// Base attractiveness to crime, before category affinities.
    pub weight: Vec<f64>,
}

/// Where a candidate point came from.
struct Origin<'a> {
    town: &'a Town,
    rural: bool,
}

/// The key of the small square an LSOA covers: local authority, coarse flag, cell.
type LsoaKey = (u32, bool, i64, i64);

pub fn generate(
    place: &'static Place,
    number: u64,
    seed: u64,
    count: u64,
    grid: &Grid,
) -> SnapPoints {
    let mut rng = Rng::keyed(&[seed, number, TAG_POINTS]);
    let btp = place.id == "btp";
    let kx = km_per_deg_lng(place.lat);
    let town_weights: Vec<f64> = place.towns.iter().map(|t| t.pop).collect();
    let rural_share = if btp {
        0.35
    } else if place.rx_km < 5.0 {
        0.0
    } else {
        0.12
    };
    let (sw, ne) = grid.bounds();
    let mut seen: HashSet<Pt> = HashSet::with_capacity(count as usize);
    let mut scratch = Vec::new();
    let kept: Vec<usize> = (0..grid.kept.len()).filter(|&c| grid.kept[c]).collect();

    let mut points = Vec::with_capacity(count as usize);
    let mut weight = Vec::with_capacity(count as usize);
    let mut keys: Vec<LsoaKey> = Vec::with_capacity(count as usize);
    let mut la_index: HashMap<&'static str, u32> = HashMap::new();
    let mut la_names: Vec<&'static str> = Vec::new();
    let name_weights = NameWeights::new();
    for _ in 0..count {
        let mut found = None;
        for _ in 0..12 {
            let (lat, lng, origin) = if rng.chance(rural_share) {
                if btp {
                    // Stations in the towns of every force in Great Britain (BTP is last).
                    let other = &PLACES[rng.index(PLACES.len() - 1)];
                    if other.id == "northern-ireland" {
                        continue;
                    }
                    let town = &other.towns[rng.index(other.towns.len())];
                    let s = town_sigma_km(town.pop) * 0.5;
                    let (dx, dy) = (rng.normal() * s, rng.normal() * s);
                    let lat = town.lat + dy / KM_PER_DEG_LAT;
                    (lat, town.lng + dx / km_per_deg_lng(town.lat), Origin { town, rural: false })
                } else {
                    let lat = rng.range(sw[0], ne[0]);
                    let lng = rng.range(sw[1], ne[1]);
                    let town = nearest_town(place, lat, lng, kx);
                    (lat, lng, Origin { town, rural: true })
                }
            } else {
                let town = &place.towns[rng.weighted(&town_weights)];
                // Dense cores inside a wider spread of suburbs.
                let scale = if btp {
                    0.15
                } else if rng.chance(0.5) {
                    0.45
                } else {
                    1.2
                };
                let s = town_sigma_km(town.pop) * scale;
                let (dx, dy) = (rng.normal() * s, rng.normal() * s);
                (town.lat + dy / KM_PER_DEG_LAT, town.lng + dx / kx, Origin { town, rural: false })
            };
            let pt = [(lng * 1e6).round() as i64, (lat * 1e6).round() as i64];
            if !seen.contains(&pt) && grid.locate(pt, &mut scratch).is_some() {
                found = Some((pt, origin));
                break;
            }
        }
        let (pt, origin) = match found {
            Some(found) => found,
            None => {
                // Somewhere in a random cell of the territory.
                let cell = kept[rng.index(kept.len())];
                let [cx, cy] = grid.cell_centre(cell % grid.nx, cell / grid.nx);
                let mut pt = [
                    (cx + rng.range(-0.2, 0.2) * grid.dlng * 1e6).round() as i64,
                    (cy + rng.range(-0.2, 0.2) * grid.dlat * 1e6).round() as i64,
                ];
                while seen.contains(&pt) {
                    pt[0] += 1;
                }
                let town = nearest_town(place, pt[1] as f64 / 1e6, pt[0] as f64 / 1e6, kx);
                (pt, Origin { town, rural: true })
            }
        };
        seen.insert(pt);
        let (lat, lng) = (pt[1] as f64 / 1e6, pt[0] as f64 / 1e6);
        let la_town = if btp { origin.town } else { nearest_town(place, lat, lng, kx) };
        let d = distance_km(origin.town, lat, lng, kx) / town_sigma_km(origin.town.pop);
        let central = !origin.rural && d < 0.6;
        let name = pick_name(&mut rng, &name_weights, central, origin.rural, btp);

        let mut w = 0.3 + 1.0 / rng.range(0.03, 1.0);
        w *= (1.0 + 2.5 / (1.0 + d * d)) * crime_magnet(origin.town.name);
        if origin.rural {
            w *= 0.5;
        }
        if name >> 30 == KIND_POI {
            w *= poi_boost((name & 0xffff) as usize);
        }

        let la = *la_index.entry(la_town.name).or_insert_with(|| {
            la_names.push(la_town.name);
            (la_names.len() - 1) as u32
        });
        let la_d = distance_km(la_town, lat, lng, kx) / town_sigma_km(la_town.pop);
        let coarse = la_d > 2.5 && !btp;
        let (cell_lat, cell_lng) = if coarse { (0.03, 0.045) } else { (0.006, 0.009) };
        keys.push((la, coarse, (lng / cell_lng).floor() as i64, (lat / cell_lat).floor() as i64));
        points.push(SnapPoint { pt, name, lsoa: 0 });
        weight.push(w);
    }

    let lsoas = name_lsoas(place.id, number, &la_names, &keys, &mut points);
    SnapPoints { points, lsoas, weight }
}

fn distance_km(town: &Town, lat: f64, lng: f64, kx: f64) -> f64 {
    let dx = (lng - town.lng) * kx;
    let dy = (lat - town.lat) * KM_PER_DEG_LAT;
    (dx * dx + dy * dy).sqrt()
}

/// The town whose sphere of influence (distance relative to its size) a point is in.
fn nearest_town(place: &'static Place, lat: f64, lng: f64, kx: f64) -> &'static Town {
    let mut best = &place.towns[0];
    let mut best_d = f64::INFINITY;
    for town in place.towns {
        let d = distance_km(town, lat, lng, kx) / town_sigma_km(town.pop);
        if d < best_d {
            best = town;
            best_d = d;
        }
    }
    best
}

/// How much more crime a kind of POI attracts than an ordinary street point.
fn poi_boost(kind: usize) -> f64 {
    match kind {
        poi_kind::STATION => 3.0,
        poi_kind::SHOPPING => 2.5,
        poi_kind::SUPERMARKET | poi_kind::NIGHTCLUB => 2.0,
        poi_kind::HOSPITAL
        | poi_kind::BUS
        | poi_kind::POLICE
        | poi_kind::PARKING
        | poi_kind::PRISON => 1.5,
        _ => 1.0,
    }
}

/// Weights for drawing names, computed once per force.
struct NameWeights {
    poi_central: Vec<f64>,
    poi_elsewhere: Vec<f64>,
    poi_btp: Vec<f64>,
    suffixes: Vec<f64>,
}

impl NameWeights {
    fn new() -> Self {
        let poi = |f: &dyn Fn(usize, &Poi) -> f64| -> Vec<f64> {
            POIS.iter().enumerate().map(|(k, p)| f(k, p)).collect()
        };
        NameWeights {
            // Central POIs (shopping areas, nightclubs) cluster in town centres.
            poi_central: poi(&|_, p| if p.central { p.weight * 2.0 } else { p.weight * 0.4 }),
            poi_elsewhere: poi(&|_, p| if p.central { p.weight * 0.4 } else { p.weight * 2.0 }),
            poi_btp: poi(&|k, _| match k {
                poi_kind::STATION => 60.0,
                poi_kind::PARKING | poi_kind::SHOPPING | poi_kind::BUS | poi_kind::SUBWAY => 5.0,
                _ => 0.0,
            }),
            suffixes: STREET_SUFFIXES.iter().map(|s| s.1).collect(),
        }
    }
}

fn pick_name(rng: &mut Rng, weights: &NameWeights, central: bool, rural: bool, btp: bool) -> u32 {
    let poi_chance = if btp {
        0.6
    } else if central {
        0.14
    } else if rural {
        0.04
    } else {
        0.07
    };
    if rng.chance(poi_chance) {
        let table = if btp {
            &weights.poi_btp
        } else if central {
            &weights.poi_central
        } else {
            &weights.poi_elsewhere
        };
        return KIND_POI << 30 | rng.weighted(table) as u32;
    }
    if central && rng.chance(0.15) {
        // "High Street" and friends, the first ones most of all.
        let k = rng.index(FIXED_STREETS.len());
        let k = if rng.chance(0.5) { k.min(rng.index(6)) } else { k };
        return KIND_FIXED << 30 | k as u32;
    }
    if rng.chance(0.03) {
        return if rng.chance(0.6) {
            KIND_ROAD << 30 | (1 + rng.below(6000)) as u32
        } else {
            KIND_ROAD << 30 | 1 << 16 | (1000 + rng.below(9000)) as u32
        };
    }
    // The first thirty words, the commonest street names, come up several times as often.
    let n = STREET_WORDS.len();
    let word = if rng.chance(0.4) { rng.index(30.min(n)) } else { rng.index(n) };
    let suffix = rng.weighted(&weights.suffixes);
    KIND_STREET << 30 | (word as u32) << 8 | suffix as u32
}

/// Names LSOAs like ONS does: `<district> <MSOA number><letter>`, MSOAs numbered north to
/// south within a district, LSOAs lettered within an MSOA; codes follow name order. Sets
/// each point's LSOA index (which is its rank in name order).
fn name_lsoas(
    force: &str,
    number: u64,
    la_names: &[&'static str],
    keys: &[LsoaKey],
    points: &mut [SnapPoint],
) -> Vec<Lsoa> {
    let mut distinct: Vec<LsoaKey> = keys.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    // MSOA: a 2×2 block of fine squares, or one coarse square.
    let msoa_of = |&(la, coarse, x, y): &LsoaKey| {
        if coarse {
            (la, coarse, x, y)
        } else {
            (la, coarse, x.div_euclid(2), y.div_euclid(2))
        }
    };
    // Latitude and longitude of an MSOA's south-west corner, to order them spatially.
    let msoa_position = |&(_, coarse, x, y): &LsoaKey| {
        if coarse {
            (y as f64 * 0.03, x as f64 * 0.045)
        } else {
            (y as f64 * 0.012, x as f64 * 0.018)
        }
    };
    let mut msoas: Vec<LsoaKey> = distinct.iter().map(msoa_of).collect();
    msoas.sort_unstable();
    msoas.dedup();
    msoas.sort_by(|a, b| {
        let (pa, pb) = (msoa_position(a), msoa_position(b));
        a.0.cmp(&b.0).then(pb.0.total_cmp(&pa.0)).then(pa.1.total_cmp(&pb.1)).then(a.cmp(b))
    });
    let mut msoa_number: HashMap<LsoaKey, u64> = HashMap::with_capacity(msoas.len());
    let mut counter: HashMap<u32, u64> = HashMap::new();
    for m in &msoas {
        let k = counter.entry(m.0).or_insert(0);
        *k += 1;
        msoa_number.insert(*m, *k);
    }
    // Letters within an MSOA: north-west first.
    let mut within = distinct.clone();
    within.sort_by_key(|k| (msoa_of(k), std::cmp::Reverse(k.3), k.2));
    let mut letter: HashMap<LsoaKey, u8> = HashMap::with_capacity(within.len());
    let mut previous = None;
    let mut next = 0u8;
    for key in &within {
        let m = msoa_of(key);
        if previous != Some(m) {
            previous = Some(m);
            next = 0;
        }
        letter.insert(*key, b'A' + next);
        next += 1;
    }
    let mut named: Vec<(String, LsoaKey)> = distinct
        .iter()
        .map(|key| {
            let name = format!(
                "{} {:03}{}",
                la_names[key.0 as usize],
                msoa_number[&msoa_of(key)],
                char::from(letter[key])
            );
            (name, *key)
        })
        .collect();
    named.sort();
    let rank: HashMap<LsoaKey, u32> =
        named.iter().enumerate().map(|(r, (_, key))| (*key, r as u32)).collect();
    for (point, key) in points.iter_mut().zip(keys) {
        point.lsoa = rank[key];
    }
    let ni = force == "northern-ireland";
    let country = if super::places::is_welsh(force) { "W01" } else { "E01" };
    let base = 1000 + number * 20_000;
    named
        .into_iter()
        .enumerate()
        .map(|(k, (name, _))| {
            if ni {
                Lsoa { code: String::new(), name: String::new() }
            } else {
                let code = base + (k as u64 % 19_000);
                Lsoa { code: format!("{country}{code:06}"), name: csv_field(&name) }
            }
        })
        .collect()
}

/// A hash of the points, for tests.
#[cfg(test)]
pub fn fingerprint(points: &SnapPoints) -> u64 {
    use super::rng::hash;
    let words: Vec<u64> = points
        .points
        .iter()
        .flat_map(|p| [p.pt[0] as u64, p.pt[1] as u64, u64::from(p.name), u64::from(p.lsoa)])
        .collect();
    hash(&words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::{land_territories, ForceArea};
    use crate::places::place;

    #[test]
    fn points_are_inside_and_clustered() {
        let rivals = land_territories(9);
        let leics = place("leicestershire").unwrap();
        let area = ForceArea::build(leics, 21, 9, 20, &rivals).unwrap();
        let points = generate(leics, 21, 9, 5000, &area.grid);
        assert_eq!(points.points.len(), 5000);
        let mut scratch = Vec::new();
        for p in &points.points {
            assert!(area.grid.locate(p.pt, &mut scratch).is_some());
        }
        // Leicester city centre is dense: many points within 1.5 km.
        let kx = km_per_deg_lng(52.636);
        let near = points
            .points
            .iter()
            .filter(|p| {
                let dx = (p.pt[0] as f64 / 1e6 + 1.133) * kx;
                let dy = (p.pt[1] as f64 / 1e6 - 52.636) * KM_PER_DEG_LAT;
                dx * dx + dy * dy < 1.5 * 1.5
            })
            .count();
        assert!(near > 300, "{near}");
        let mut names = Vec::new();
        points.points[0].push_name(&mut names);
        assert!(names.starts_with(b"On or near "));
        assert!(points.lsoas.iter().all(|l| l.code.starts_with("E01") && l.name.contains(' ')));
        assert_eq!(fingerprint(&points), fingerprint(&generate(leics, 21, 9, 5000, &area.grid)));
    }
}
