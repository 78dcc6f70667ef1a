//! `/api/v2/forces/{force}/neighbourhoods/{neighbourhood}/boundary` and
//! `/api/v2/forces/{force}/neighbourhoods/boundaries`: neighbourhood boundaries as GeoJSON
//! (RFC 7946), for GIS tools and web maps, where police.uk's `/boundary` gives one ring of
//! strings.

use actix_web::{get, web, HttpResponse};
use police_index::neighbourhoods::{Boundary, ForceResources, NeighbourhoodResources};
use police_openapi::{
    BoundaryGeometry, FeatureCollectionType, FeatureType, NeighbourhoodFeature,
    NeighbourhoodFeatureCollection, NeighbourhoodProperties,
};
use police_store::snapshot::Snapshot;
use serde::Serialize;

use crate::error::ApiError;
use crate::params::{ForcePath, NeighbourhoodPath};
use crate::state::AppState;

/// GeoJSON's media type (RFC 7946 §12).
const GEOJSON: &str = "application/geo+json";

fn force<'a>(snapshot: &'a Snapshot, id: &str) -> Result<&'a ForceResources, ApiError> {
    snapshot.neighbourhoods.force(id).ok_or(ApiError::RouteNotFound)
}

/// `boundary` as a GeoJSON geometry: a `Polygon` for one part, else a `MultiPolygon`.
fn geometry(boundary: &Boundary) -> BoundaryGeometry {
    let mut polygons = boundary.geojson_polygons();
    if polygons.len() == 1 {
        BoundaryGeometry::Polygon { coordinates: polygons.swap_remove(0) }
    } else {
        BoundaryGeometry::MultiPolygon { coordinates: polygons }
    }
}

fn feature(
    snapshot: &Snapshot,
    force: &ForceResources,
    neighbourhood: &NeighbourhoodResources,
) -> NeighbourhoodFeature {
    NeighbourhoodFeature {
        kind: FeatureType::Feature,
        geometry: snapshot.neighbourhoods.boundary(neighbourhood).map(geometry),
        properties: NeighbourhoodProperties {
            force: force.id.clone(),
            id: neighbourhood.id.clone(),
            name: neighbourhood.name.clone(),
        },
    }
}

fn geojson_response<T: Serialize>(value: &T) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(value).map_err(|_| ApiError::Internal)?;
    Ok(HttpResponse::Ok().content_type(GEOJSON).body(body))
}

/// A neighbourhood's boundary as GeoJSON.
///
/// The boundary police.uk's `/api/{force}/{neighbourhood}/boundary` gives as one ring of
/// strings, here as a GeoJSON `Feature` (RFC 7946, `application/geo+json`) that GIS tools
/// (QGIS, GDAL) and web maps (Leaflet, OpenLayers) read as they are: a `Polygon`, or a
/// `MultiPolygon` for a neighbourhood in several parts, holes as holes. Positions are
/// `[longitude, latitude]` numbers; rings are closed; exterior rings run counter-clockwise and
/// holes clockwise (RFC 7946's right-hand rule). `properties` names the force, the
/// neighbourhood's id and its name. Unknown force or neighbourhood: police.uk's bare 404; a
/// neighbourhood without an imported boundary: 404 saying so.
#[utoipa::path(
    tag = "v2",
    params(NeighbourhoodPath),
    responses(
        (status = 200, description = "The neighbourhood and its boundary", body = NeighbourhoodFeature, content_type = "application/geo+json"),
        (status = 404, description = "Unknown force or neighbourhood (`Not Found`), or no boundary imported for it", content_type = "text/plain"),
    )
)]
#[get("/forces/{force}/neighbourhoods/{neighbourhood}/boundary")]
pub async fn neighbourhood_boundary_geojson(
    state: web::Data<AppState>,
    path: web::Path<NeighbourhoodPath>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    let force = force(&snapshot, &path.force)?;
    let neighbourhood = force.neighbourhood(&path.neighbourhood).ok_or(ApiError::RouteNotFound)?;
    let feature = feature(&snapshot, force, neighbourhood);
    if feature.geometry.is_none() {
        return Err(ApiError::NotFound(format!(
            "no boundary has been imported for neighbourhood {} of {}",
            neighbourhood.id, force.id
        )));
    }
    geojson_response(&feature)
}

/// A force's neighbourhood boundaries as GeoJSON.
///
/// Every neighbourhood of the force, in the order of `/api/{force}/neighbourhoods`, as one
/// GeoJSON `FeatureCollection` (`application/geo+json`), each feature as
/// `…/neighbourhoods/{neighbourhood}/boundary` gives it; a neighbourhood without an imported
/// boundary is a feature whose `geometry` is `null`. `features` is `[]` for a force without
/// neighbourhoods. Unknown force: police.uk's bare 404.
#[utoipa::path(
    tag = "v2",
    params(ForcePath),
    responses(
        (status = 200, description = "The force's neighbourhoods and their boundaries", body = NeighbourhoodFeatureCollection, content_type = "application/geo+json"),
        (status = 404, description = "Unknown force: `Not Found`", content_type = "text/plain"),
    )
)]
#[get("/forces/{force}/neighbourhoods/boundaries")]
pub async fn neighbourhood_boundaries_geojson(
    state: web::Data<AppState>,
    path: web::Path<ForcePath>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    let force = force(&snapshot, &path.force)?;
    let collection = NeighbourhoodFeatureCollection {
        kind: FeatureCollectionType::FeatureCollection,
        features: force.listed_neighbourhoods().map(|n| feature(&snapshot, force, n)).collect(),
    };
    geojson_response(&collection)
}
