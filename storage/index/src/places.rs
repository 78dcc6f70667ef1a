//! Finding places by name: the snap points' street names ("On or near High Street") as
//! places on the map. One name is shared by points all over the country (every town has a
//! High Street), so each name's points are grouped into places: points of the same name
//! within [`PLACE_LINK_M`] of each other (directly or through other such points) are one
//! place. Built once per index; a search scans the distinct names, never the points.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use crate::crimes::CrimeIndex;
use crate::spatial::{haversine_m, is_valid_coordinate, EARTH_RADIUS_M};

/// Points of one name this close (great-circle metres) belong to the same place.
pub const PLACE_LINK_M: f64 = 1_000.0;

/// The prefix police.uk puts before every snap point's name.
const ON_OR_NEAR: &str = "on or near";

/// The words of `text` to match on: lower-cased runs of letters and digits, with a leading
/// "on or near" left out.
pub fn words(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let all: Vec<String> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let prefix: Vec<&str> = ON_OR_NEAR.split(' ').collect();
    if all.len() >= prefix.len() && all.iter().zip(&prefix).all(|(a, b)| a == b) {
        all[prefix.len()..].to_vec()
    } else {
        all
    }
}

/// How well a name matches a query, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Match {
    /// The name's words are the query's.
    Exact,
    /// The name's words, joined by spaces, start with the query's.
    Start,
    /// Every query word starts some word of the name.
    Words,
}

/// How `name` (its [`words`]) matches `query` (its [`words`], not empty): `None` unless every
/// query word is the start of a word of the name.
pub fn matches(name: &[String], query: &[String]) -> Option<Match> {
    if query.is_empty() || !query.iter().all(|q| name.iter().any(|w| w.starts_with(q.as_str()))) {
        return None;
    }
    let (name, query) = (name.join(" "), query.join(" "));
    Some(if name == query {
        Match::Exact
    } else if name.starts_with(&query) {
        Match::Start
    } else {
        Match::Words
    })
}

/// One place: the points of one name that hang together.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetPlace {
    /// The points' name, as published ("On or near High Street").
    pub name: Arc<str>,
    /// Number of snap points.
    pub points: u32,
    /// The lowest store id (`location_id`) among them.
    pub location_id: i32,
    /// The mean of their latitudes and of their longitudes.
    pub latitude: f64,
    pub longitude: f64,
    /// Their bounding box.
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

/// One distinct name, its words and its places.
#[derive(Debug)]
struct NameEntry {
    words: Vec<String>,
    places: std::ops::Range<usize>,
}

/// Every snap point name of an index, grouped into places, to search by words.
#[derive(Debug, Default)]
pub struct PlaceNames {
    names: Vec<NameEntry>,
    places: Vec<StreetPlace>,
}

/// A place found, with how well its name matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found<'a> {
    pub place: &'a StreetPlace,
    pub quality: Match,
}

impl PlaceNames {
    /// Groups the points of `index` by name, then into places. Points with an empty name or
    /// without valid coordinates are left out.
    pub fn build(index: &CrimeIndex) -> PlaceNames {
        let mut by_name: HashMap<&str, Vec<u32>> = HashMap::new();
        for position in 0..index.point_count() as u32 {
            let point = index.point(position);
            if is_valid_coordinate(point.latitude, point.longitude) && !point.name.is_empty() {
                by_name.entry(&point.name).or_default().push(position);
            }
        }
        let mut names: Vec<(&str, Vec<u32>)> = by_name.into_iter().collect();
        names.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut built = PlaceNames::default();
        for (name, positions) in names {
            let words = words(name);
            if words.is_empty() {
                continue;
            }
            let start = built.places.len();
            built.places.extend(places_of(index, &positions));
            built.names.push(NameEntry { words, places: start..built.places.len() });
        }
        built
    }

    /// Number of distinct names.
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// Number of places over all names.
    pub fn place_count(&self) -> usize {
        self.places.len()
    }

    /// The places whose name matches `query` (its [`words`], not empty), and how many matched
    /// in all: the best `limit`, ordered by [`Match`], then more snap points first, then name,
    /// then `location_id`. Scans the distinct names once; keeps at most `limit` places aside.
    pub fn search(&self, query: &[String], limit: usize) -> (Vec<Found<'_>>, usize) {
        type Key<'a> = (Match, Reverse<u32>, &'a str, i32, usize);
        let mut best: BinaryHeap<Key<'_>> = BinaryHeap::with_capacity(limit + 1);
        let mut matched = 0;
        for entry in &self.names {
            let Some(quality) = matches(&entry.words, query) else { continue };
            for position in entry.places.clone() {
                let place = &self.places[position];
                matched += 1;
                best.push((
                    quality,
                    Reverse(place.points),
                    &*place.name,
                    place.location_id,
                    position,
                ));
                if best.len() > limit {
                    best.pop();
                }
            }
        }
        let found = best
            .into_sorted_vec()
            .into_iter()
            .map(|(quality, _, _, _, position)| Found { place: &self.places[position], quality })
            .collect();
        (found, matched)
    }
}

/// The places of one name's points (`positions` in `index`): points within [`PLACE_LINK_M`]
/// linked, in order of their lowest `location_id`.
fn places_of(index: &CrimeIndex, positions: &[u32]) -> Vec<StreetPlace> {
    let mut order: Vec<u32> = positions.to_vec();
    order.sort_unstable_by(|&a, &b| index.point(a).latitude.total_cmp(&index.point(b).latitude));
    // A great-circle distance is at least the latitude difference along a meridian: points
    // further apart in latitude than this cannot link (a little margin for rounding).
    let band_deg = (PLACE_LINK_M / EARTH_RADIUS_M).to_degrees() * 1.001;
    let mut parent: Vec<usize> = (0..order.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..order.len() {
        let a = index.point(order[i]);
        for (j, &other) in order.iter().enumerate().skip(i + 1) {
            let b = index.point(other);
            if b.latitude - a.latitude > band_deg {
                break;
            }
            if haversine_m(a.latitude, a.longitude, b.latitude, b.longitude) <= PLACE_LINK_M {
                let (ra, rb) = (root(&mut parent, i), root(&mut parent, j));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut groups: HashMap<usize, Vec<u32>> = HashMap::new();
    for (i, &position) in order.iter().enumerate() {
        groups.entry(root(&mut parent, i)).or_default().push(position);
    }
    let mut places: Vec<StreetPlace> = groups
        .into_values()
        .map(|mut members| {
            members.sort_unstable_by_key(|&p| index.point(p).id);
            let first = index.point(members[0]);
            let mut place = StreetPlace {
                name: Arc::clone(&first.name),
                points: members.len() as u32,
                location_id: first.id,
                latitude: 0.0,
                longitude: 0.0,
                south: f64::INFINITY,
                west: f64::INFINITY,
                north: f64::NEG_INFINITY,
                east: f64::NEG_INFINITY,
            };
            for &member in &members {
                let point = index.point(member);
                place.latitude += point.latitude;
                place.longitude += point.longitude;
                place.south = place.south.min(point.latitude);
                place.north = place.north.max(point.latitude);
                place.west = place.west.min(point.longitude);
                place.east = place.east.max(point.longitude);
            }
            place.latitude /= members.len() as f64;
            place.longitude /= members.len() as f64;
            place
        })
        .collect();
    places.sort_unstable_by_key(|p| p.location_id);
    places
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str) -> Vec<String> {
        words(text)
    }

    #[test]
    fn words_drop_the_on_or_near_and_punctuation() {
        assert_eq!(w("On or near High Street"), ["high", "street"]);
        assert_eq!(w("on or near St. John's Road"), ["st", "john", "s", "road"]);
        assert_eq!(w("Near High"), ["near", "high"]);
        assert_eq!(w("ON OR NEAR"), Vec::<String>::new());
    }

    #[test]
    fn matches_rank_exact_then_start_then_words() {
        let name = w("On or near High Street");
        assert_eq!(matches(&name, &w("high street")), Some(Match::Exact));
        assert_eq!(matches(&name, &w("High St")), Some(Match::Start));
        assert_eq!(matches(&name, &w("street")), Some(Match::Words));
        assert_eq!(matches(&name, &w("str hi")), Some(Match::Words));
        assert_eq!(matches(&name, &w("road")), None);
        assert_eq!(matches(&name, &[]), None);
        assert!(Match::Exact < Match::Start && Match::Start < Match::Words);
    }
}
