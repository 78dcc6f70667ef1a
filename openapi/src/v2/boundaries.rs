//! Neighbourhood boundaries as GeoJSON (RFC 7946): `/api/v2/forces/{force}/neighbourhoods/
//! {neighbourhood}/boundary` (a `Feature`) and `/api/v2/forces/{force}/neighbourhoods/
//! boundaries` (a `FeatureCollection`).

use serde::Serialize;
use utoipa::ToSchema;

/// The GeoJSON object type of a [`NeighbourhoodFeature`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum FeatureType {
    /// A GeoJSON `Feature`.
    Feature,
}

/// The GeoJSON object type of a [`NeighbourhoodFeatureCollection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum FeatureCollectionType {
    /// A GeoJSON `FeatureCollection`.
    FeatureCollection,
}

/// A boundary's geometry: a `Polygon` for one part, a `MultiPolygon` for several. Positions
/// are `[longitude, latitude]`; every ring is closed (its first position repeated last); the
/// exterior ring of each polygon runs counter-clockwise and its holes clockwise (RFC 7946
/// §3.1.6).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "type")]
pub enum BoundaryGeometry {
    /// One part: the exterior ring, then the holes.
    Polygon {
        /// Rings of `[longitude, latitude]` positions.
        #[schema(value_type = Vec<Vec<Vec<f64>>>, example = json!([[[-1.16, 52.6], [-1.1, 52.6], [-1.1, 52.66], [-1.16, 52.66], [-1.16, 52.6]], [[-1.14, 52.62], [-1.14, 52.64], [-1.12, 52.64], [-1.12, 52.62], [-1.14, 52.62]]]))]
        coordinates: Vec<Vec<[f64; 2]>>,
    },
    /// Several parts, each as a `Polygon`'s coordinates.
    MultiPolygon {
        /// Polygons, each its rings of `[longitude, latitude]` positions.
        #[schema(value_type = Vec<Vec<Vec<Vec<f64>>>>, example = json!([[[[-1.16, 52.7], [-1.14, 52.7], [-1.14, 52.72], [-1.16, 52.72], [-1.16, 52.7]]], [[[-1.0, 52.8], [-0.98, 52.8], [-0.98, 52.82], [-1.0, 52.82], [-1.0, 52.8]]]]))]
        coordinates: Vec<Vec<Vec<[f64; 2]>>>,
    },
}

/// What a [`NeighbourhoodFeature`] says about its neighbourhood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NeighbourhoodProperties {
    /// The force's id, as in `/api/forces`.
    #[schema(example = "leicestershire")]
    pub force: String,
    /// The neighbourhood's id, as in `/api/{force}/neighbourhoods` (case-sensitive).
    #[schema(example = "NC04")]
    pub id: String,
    /// The neighbourhood's name, as in `/api/{force}/neighbourhoods`.
    #[schema(example = "City Centre")]
    pub name: String,
}

/// A neighbourhood and its boundary, as a GeoJSON `Feature`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "Feature",
    "geometry": {"type": "Polygon", "coordinates": [
        [[-1.16, 52.6], [-1.1, 52.6], [-1.1, 52.66], [-1.16, 52.66], [-1.16, 52.6]],
        [[-1.14, 52.62], [-1.14, 52.64], [-1.12, 52.64], [-1.12, 52.62], [-1.14, 52.62]]]},
    "properties": {"force": "leicestershire", "id": "NC04", "name": "City Centre"}
}))]
pub struct NeighbourhoodFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: FeatureType,
    /// The boundary; `null` in a collection for a neighbourhood without one.
    pub geometry: Option<BoundaryGeometry>,
    /// The neighbourhood.
    pub properties: NeighbourhoodProperties,
}

/// A force's neighbourhoods and their boundaries, as a GeoJSON `FeatureCollection`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature",
         "geometry": {"type": "Polygon", "coordinates": [[[-1.14, 52.62], [-1.12, 52.62], [-1.12, 52.63], [-1.14, 52.63], [-1.14, 52.62]]]},
         "properties": {"force": "leicestershire", "id": "NC67", "name": "Riverside"}},
        {"type": "Feature", "geometry": null,
         "properties": {"force": "leicestershire", "id": "NC70", "name": "Belgrave"}}
    ]
}))]
pub struct NeighbourhoodFeatureCollection {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: FeatureCollectionType,
    /// One feature per neighbourhood of the force, in the order of
    /// `/api/{force}/neighbourhoods`.
    pub features: Vec<NeighbourhoodFeature>,
}
