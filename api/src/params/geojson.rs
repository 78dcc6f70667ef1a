//! The v2 routes' GeoJSON area (a POST body): a `Polygon` or `MultiPolygon`, bare or as a
//! `Feature`'s geometry, read straight into rings of `[lat, lng]` pairs.
//!
//! Read with typed serde visitors rather than through `serde_json::Value`: a position is two
//! numbers read in place (no allocation, its further members skipped), only rings and
//! polygons are collected, and members other than `type`, `coordinates` and `geometry` are
//! skipped unread. At the vertex limit this is about three times cheaper than building the
//! `Value` tree first (`huge_polygon/uk_10000_vertices_geojson_parse_only` in the `national`
//! bench). `coordinates` may come before `type`, so its nesting is read as it comes and
//! checked against the type afterwards.

use std::fmt;
use std::sync::Arc;

use police_index::neighbourhoods::Boundary;
use police_index::spatial::Area;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::MAX_AREA_VERTICES;
use crate::error::ApiError;

/// A GeoJSON `Polygon` or `MultiPolygon` (bare, or the geometry of a `Feature`) as a region:
/// positions `[longitude, latitude]`, each polygon's first ring its outer boundary and the
/// others holes. 400 for anything else, naming what is wrong; more than
/// [`MAX_AREA_VERTICES`] vertices over all rings is one of those.
pub fn geojson_area(body: &[u8]) -> Result<Area, ApiError> {
    let bad = |why: String| ApiError::BadRequest(format!("GeoJSON body: {why}"));
    if body.is_empty() {
        return Err(bad("empty: send a Polygon or MultiPolygon, e.g. \
             {\"type\":\"Polygon\",\"coordinates\":[[[-1.14,52.62],[-1.12,52.62],[-1.12,52.64],[-1.14,52.62]]]}"
            .into()));
    }
    let object: GeoJsonObject = serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => bad(e.to_string()),
        _ => bad(format!("not JSON: {e}")),
    })?;
    let geometry = match object.kind.as_deref() {
        Some("Feature") => {
            *object.geometry.ok_or_else(|| bad("a Feature without geometry".into()))?
        }
        _ => object,
    };
    let polygons: Vec<Coordinates> = match (geometry.kind.as_deref(), geometry.coordinates) {
        (Some("Polygon"), coordinates) => coordinates.into_iter().collect(),
        (Some("MultiPolygon"), None) => Vec::new(),
        (Some("MultiPolygon"), Some(Coordinates::List(polygons))) => polygons,
        (Some("MultiPolygon"), Some(Coordinates::Position(_))) => {
            return Err(bad("MultiPolygon coordinates must be an array of polygons".into()))
        }
        (Some(other), _) => {
            return Err(bad(format!(
                "type {other:?}: only Polygon and MultiPolygon (or a Feature of one) are areas"
            )))
        }
        (None, _) => return Err(bad("no \"type\": send a Polygon or MultiPolygon".into())),
    };
    let mut vertices = 0usize;
    let mut parts = Vec::with_capacity(polygons.len());
    for polygon in polygons {
        let rings = match polygon {
            Coordinates::List(rings) if !rings.is_empty() => rings,
            _ => return Err(bad("a polygon must be a non-empty array of rings".into())),
        };
        let mut part = Vec::with_capacity(rings.len());
        for ring in rings {
            let Coordinates::List(positions) = ring else {
                return Err(bad("a ring must be an array of positions".into()));
            };
            vertices += positions.len();
            if vertices > MAX_AREA_VERTICES {
                return Err(bad(format!("more than {MAX_AREA_VERTICES} vertices")));
            }
            let ring = positions
                .into_iter()
                .map(|position| match position {
                    Coordinates::Position([lng, lat]) => Ok([lat, lng]),
                    Coordinates::List(_) => {
                        Err(bad("a position is not [longitude, latitude] but an array".into()))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            part.push(ring);
        }
        parts.push(part);
    }
    if parts.is_empty() {
        return Err(bad("no polygon in \"coordinates\"".into()));
    }
    let boundary = Boundary::new(parts).map_err(|e| bad(e.to_string()))?;
    Ok(Area::Region(Arc::new(boundary)))
}

/// The members of a GeoJSON object this reads; any other is skipped.
struct GeoJsonObject {
    kind: Option<String>,
    coordinates: Option<Coordinates>,
    /// A `Feature`'s geometry (`null` reads as none).
    geometry: Option<Box<GeoJsonObject>>,
}

impl<'de> de::Deserialize<'de> for GeoJsonObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = GeoJsonObject;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GeoJsonObject, A::Error> {
        let mut object = GeoJsonObject { kind: None, coordinates: None, geometry: None };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "type" => object.kind = map.next_value::<Option<String>>()?,
                "coordinates" => object.coordinates = Some(map.next_value::<Coordinates>()?),
                "geometry" => {
                    object.geometry = map.next_value::<Option<GeoJsonObject>>()?.map(Box::new)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(object)
    }
}

/// `coordinates` as nested: an array whose first member is a number is a position
/// `[longitude, latitude, …]`; any other array is a list of deeper coordinates.
enum Coordinates {
    Position([f64; 2]),
    List(Vec<Coordinates>),
}

impl<'de> de::Deserialize<'de> for Coordinates {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CoordinatesVisitor)
    }
}

struct CoordinatesVisitor;

impl<'de> Visitor<'de> for CoordinatesVisitor {
    type Value = Coordinates;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of positions [longitude, latitude] (nested as the type says)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Coordinates, A::Error> {
        match seq.next_element_seed(MemberSeed)? {
            None => Ok(Coordinates::List(Vec::new())),
            Some(Member::Number(lng)) => {
                let Some(lat) = seq.next_element_seed(NumberSeed)? else {
                    return Err(de::Error::custom(format!(
                        "a position is not [longitude, latitude]: [{lng}] has one number"
                    )));
                };
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Coordinates::Position([lng, lat]))
            }
            Some(Member::Nested(first)) => {
                let mut list = vec![first];
                while let Some(next) = seq.next_element::<Coordinates>()? {
                    list.push(next);
                }
                Ok(Coordinates::List(list))
            }
        }
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Coordinates, E> {
        Err(E::custom(format!("coordinates must be arrays, found the number {value}")))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Coordinates, E> {
        self.visit_f64(value as f64)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Coordinates, E> {
        self.visit_f64(value as f64)
    }
}

/// The first member of a coordinates array: a number (the array is a position) or deeper
/// coordinates.
enum Member {
    Number(f64),
    Nested(Coordinates),
}

struct MemberSeed;

impl<'de> DeserializeSeed<'de> for MemberSeed {
    type Value = Member;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Member, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MemberSeed {
    type Value = Member;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a position's longitude or an array of positions")
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Member, E> {
        Ok(Member::Number(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Member, E> {
        Ok(Member::Number(value as f64))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Member, E> {
        Ok(Member::Number(value as f64))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Member, A::Error> {
        CoordinatesVisitor.visit_seq(seq).map(Member::Nested)
    }
}

/// A position's second number.
struct NumberSeed;

impl<'de> DeserializeSeed<'de> for NumberSeed {
    type Value = f64;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<f64, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NumberSeed {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a position's latitude (positions are [longitude, latitude] numbers)")
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<f64, E> {
        Ok(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<f64, E> {
        Ok(value as f64)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<f64, E> {
        Ok(value as f64)
    }
}
