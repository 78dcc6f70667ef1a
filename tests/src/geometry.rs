//! Geometry written independently of the server's, to say which rows an area holds.

/// The mean Earth radius police-api measures with, in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// The radius of police.uk's point queries, in metres.
pub const ONE_MILE_M: f64 = 1609.344;

/// The great-circle distance in metres (haversine).
pub fn haversine_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (p2 - p1) / 2.0;
    let dl = (lng2 - lng1).to_radians() / 2.0;
    let h = dp.sin().powi(2) + p1.cos() * p2.cos() * dl.sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Whether `(lat, lng)` is within one mile of `centre` (`(lat, lng)`).
pub fn within_a_mile(centre: (f64, f64), lat: f64, lng: f64) -> bool {
    haversine_m(centre.0, centre.1, lat, lng) <= ONE_MILE_M
}

/// Even-odd ray casting over `(lat, lng)` vertices.
pub fn inside_polygon(polygon: &[(f64, f64)], lat: f64, lng: f64) -> bool {
    let mut inside = false;
    let mut j = polygon.len() - 1;
    for i in 0..polygon.len() {
        let (lat_i, lng_i) = polygon[i];
        let (lat_j, lng_j) = polygon[j];
        if (lat_i > lat) != (lat_j > lat)
            && lng < (lng_j - lng_i) * (lat - lat_i) / (lat_j - lat_i) + lng_i
        {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// `(lat, lng)` vertices as police.uk's `poly` parameter: `lat,lng:lat,lng:…`.
pub fn poly_param(polygon: &[(f64, f64)]) -> String {
    polygon.iter().map(|(lat, lng)| format!("{lat},{lng}")).collect::<Vec<_>>().join(":")
}
