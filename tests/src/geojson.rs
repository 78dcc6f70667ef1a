//! Checking GeoJSON the server writes: [`validate`] holds a document to RFC 7946 (the rules the
//! GeoJSON JSON Schema of geojson.org states, and those a schema cannot: rings closed, the
//! right-hand rule, positions in range, members of the wrong kind of object), and [`ogr_read`]
//! reads it back with GDAL's `ogrinfo`, a real GIS reader.
//!
//! `ogrinfo` comes from Debian's `gdal-bin`. Where it is missing, [`ogr_read`] prints why and
//! returns `None`, so the caller skips that check; with `POLICE_REQUIRE_OGRINFO=1` (set by
//! `.ci/run`, which installs `gdal-bin`) a missing `ogrinfo` fails the test instead.

use std::process::Command;

use serde_json::{Map, Value};

const GEOMETRY_TYPES: [&str; 7] = [
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
];

/// Every way `value` breaks RFC 7946 as a GeoJSON object of any type; empty when valid.
/// Paths in the messages are JSON pointers.
pub fn validate(value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    object(value, "", &mut errors);
    errors
}

/// Panics listing the first problems when `value` is not valid GeoJSON ([`validate`]).
#[track_caller]
pub fn assert_valid(value: &Value) {
    let errors = validate(value);
    assert!(errors.is_empty(), "invalid GeoJSON: {:?}", &errors[..errors.len().min(20)]);
}

fn object(value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(members) = value.as_object() else {
        errors.push(format!("{at}: a GeoJSON object must be a JSON object"));
        return;
    };
    bbox(members, at, errors);
    match members.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            forbid(members, &["coordinates", "geometries", "geometry", "properties"], at, errors);
            match members.get("features").and_then(Value::as_array) {
                Some(features) => {
                    for (k, feature) in features.iter().enumerate() {
                        let at = format!("{at}/features/{k}");
                        if feature.get("type").and_then(Value::as_str) != Some("Feature") {
                            errors.push(format!("{at}: a FeatureCollection holds Features only"));
                        }
                        object(feature, &at, errors);
                    }
                }
                None => errors.push(format!("{at}: a FeatureCollection needs a features array")),
            }
        }
        Some("Feature") => {
            forbid(members, &["coordinates", "geometries", "features"], at, errors);
            match members.get("geometry") {
                Some(Value::Null) => {}
                Some(geometry) => geometry_object(geometry, &format!("{at}/geometry"), errors),
                None => errors.push(format!("{at}: a Feature needs a geometry member (or null)")),
            }
            match members.get("properties") {
                Some(Value::Null | Value::Object(_)) => {}
                _ => errors.push(format!("{at}: a Feature needs properties: an object or null")),
            }
            if let Some(id) = members.get("id") {
                if !(id.is_string() || id.is_number()) {
                    errors.push(format!("{at}/id: must be a string or a number"));
                }
            }
        }
        Some(kind) if GEOMETRY_TYPES.contains(&kind) => geometry_object(value, at, errors),
        Some(kind) => errors.push(format!("{at}/type: {kind:?} is not a GeoJSON type")),
        None => errors.push(format!("{at}: missing type")),
    }
}

/// §7.1: members that give an object another type's meaning.
fn forbid(members: &Map<String, Value>, names: &[&str], at: &str, errors: &mut Vec<String>) {
    for name in names {
        if members.contains_key(*name) {
            errors.push(format!("{at}: a {} must not have {name}", members["type"]));
        }
    }
}

fn bbox(members: &Map<String, Value>, at: &str, errors: &mut Vec<String>) {
    if let Some(bbox) = members.get("bbox") {
        let numbers = bbox.as_array().is_some_and(|b| b.iter().all(Value::is_number));
        let length = bbox.as_array().map_or(0, Vec::len);
        if !numbers || length < 4 || length % 2 != 0 {
            errors.push(format!("{at}/bbox: must be 2n numbers, n ≥ 2"));
        }
    }
}

fn geometry_object(value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(members) = value.as_object() else {
        errors.push(format!("{at}: a geometry must be a JSON object"));
        return;
    };
    bbox(members, at, errors);
    forbid(members, &["geometry", "properties", "features"], at, errors);
    let kind = members.get("type").and_then(Value::as_str).unwrap_or_default();
    if kind == "GeometryCollection" {
        match members.get("geometries").and_then(Value::as_array) {
            Some(geometries) => {
                for (k, geometry) in geometries.iter().enumerate() {
                    geometry_object(geometry, &format!("{at}/geometries/{k}"), errors);
                }
            }
            None => errors.push(format!("{at}: a GeometryCollection needs geometries")),
        }
        return;
    }
    if !GEOMETRY_TYPES.contains(&kind) {
        errors.push(format!("{at}/type: {kind:?} is not a geometry type"));
        return;
    }
    let Some(coordinates) = members.get("coordinates") else {
        errors.push(format!("{at}: a {kind} needs coordinates"));
        return;
    };
    let at = format!("{at}/coordinates");
    let each = |value: &Value,
                errors: &mut Vec<String>,
                check: &dyn Fn(&Value, &str, &mut Vec<String>)| {
        match value.as_array() {
            Some(items) => {
                for (k, item) in items.iter().enumerate() {
                    check(item, &format!("{at}/{k}"), errors);
                }
            }
            None => errors.push(format!("{at}: must be an array")),
        }
    };
    match kind {
        "Point" => position(coordinates, &at, errors),
        "MultiPoint" => each(coordinates, errors, &position),
        "LineString" => line_string(coordinates, &at, errors),
        "MultiLineString" => each(coordinates, errors, &line_string),
        "Polygon" => polygon(coordinates, &at, errors),
        _ => each(coordinates, errors, &polygon),
    }
}

/// Longitude, latitude and perhaps altitude, in range.
fn position(value: &Value, at: &str, errors: &mut Vec<String>) {
    let numbers: Option<Vec<f64>> =
        value.as_array().and_then(|items| items.iter().map(Value::as_f64).collect());
    match numbers.as_deref() {
        Some([lng, lat, ..]) if value.as_array().is_some_and(|p| p.len() <= 3) => {
            if !(-180.0..=180.0).contains(lng) || !(-90.0..=90.0).contains(lat) {
                errors.push(format!("{at}: [{lng}, {lat}] is not a [longitude, latitude]"));
            }
        }
        _ => errors.push(format!("{at}: a position is 2 or 3 numbers")),
    }
}

fn positions(value: &Value, at: &str, errors: &mut Vec<String>) -> Option<Vec<[f64; 2]>> {
    let Some(items) = value.as_array() else {
        errors.push(format!("{at}: must be an array of positions"));
        return None;
    };
    let before = errors.len();
    for (k, item) in items.iter().enumerate() {
        position(item, &format!("{at}/{k}"), errors);
    }
    (errors.len() == before).then(|| {
        items
            .iter()
            .map(|p| [p[0].as_f64().unwrap_or_default(), p[1].as_f64().unwrap_or_default()])
            .collect()
    })
}

fn line_string(value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(points) = positions(value, at, errors) {
        if points.len() < 2 {
            errors.push(format!("{at}: a LineString has at least 2 positions"));
        }
    }
}

/// Rings of 4 or more positions, closed; the first counter-clockwise, the others clockwise.
fn polygon(value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(rings) = value.as_array() else {
        errors.push(format!("{at}: a Polygon's coordinates are an array of rings"));
        return;
    };
    if rings.is_empty() {
        errors.push(format!("{at}: a Polygon has an exterior ring"));
    }
    for (k, ring) in rings.iter().enumerate() {
        let at = format!("{at}/{k}");
        let Some(points) = positions(ring, &at, errors) else { continue };
        if points.len() < 4 {
            errors.push(format!("{at}: a linear ring has at least 4 positions"));
            continue;
        }
        if points.first() != points.last() {
            errors.push(format!("{at}: a linear ring is closed (first position = last)"));
            continue;
        }
        let area = ring_area(&points);
        if k == 0 && area <= 0.0 {
            errors.push(format!("{at}: the exterior ring must run counter-clockwise"));
        }
        if k > 0 && area >= 0.0 {
            errors.push(format!("{at}: a hole must run clockwise"));
        }
    }
}

/// Twice the signed area of a closed `[x, y]` ring: positive counter-clockwise.
pub fn ring_area(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum()
}

/// A GeoJSON layer as `ogrinfo` read it.
#[derive(Debug, Clone, PartialEq)]
pub struct OgrLayer {
    /// The layer's geometry type as `ogrinfo -so` names it (`Polygon`, `Multi Polygon`,
    /// `Unknown (any)` for a mix).
    pub geometry: String,
    /// `Feature Count`.
    pub feature_count: usize,
    /// The attribute fields, `name: Type`.
    pub fields: Vec<String>,
    /// Each feature: its attributes as `name (Type) = value` lines, and its geometry.
    pub features: Vec<OgrFeature>,
}

/// One feature of an [`OgrLayer`].
#[derive(Debug, Clone, PartialEq)]
pub struct OgrFeature {
    pub attributes: Vec<String>,
    /// The WKT keyword of its geometry (`POINT`, `POLYGON`, `MULTIPOLYGON`, …), or empty
    /// without geometry.
    pub geometry_type: String,
    /// For a `POLYGON` or `MULTIPOLYGON`, its polygons' rings as GDAL parsed them.
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

/// The geometry keywords of WKT, as `ogrinfo` prints a feature's geometry.
const WKT_TYPES: [&str; 7] = [
    "POINT",
    "MULTIPOINT",
    "LINESTRING",
    "MULTILINESTRING",
    "POLYGON",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
];

/// `geojson` read by `ogrinfo` (`-so` for the summary, then every feature): `None`, after
/// saying why, when `ogrinfo` is not installed and `POLICE_REQUIRE_OGRINFO` is not set.
pub fn ogr_read(geojson: &str) -> Option<OgrLayer> {
    if Command::new("ogrinfo").arg("--version").output().is_err() {
        if std::env::var("POLICE_REQUIRE_OGRINFO").is_ok_and(|v| v == "1") {
            panic!("ogrinfo is required (POLICE_REQUIRE_OGRINFO=1) but not installed: apt-get install gdal-bin");
        }
        crate::report_skip(
            "the GDAL read-back: ogrinfo not found (Debian: apt-get install gdal-bin)",
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("answer.geojson");
    std::fs::write(&path, geojson).unwrap();
    let run = |args: &[&str]| {
        let output = Command::new("ogrinfo").args(args).arg(&path).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "ogrinfo {args:?} failed: {stderr}\n{stdout}");
        assert!(!stderr.contains("ERROR"), "ogrinfo {args:?}: {stderr}");
        stdout
    };
    let summary = run(&["-ro", "-al", "-so"]);
    let value = |name: &str| {
        summary
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in ogrinfo's summary:\n{summary}"))
            .trim()
            .to_owned()
    };
    let geometry = value("Geometry:");
    let feature_count = value("Feature Count:").parse().unwrap();
    let fields = summary
        .lines()
        .skip_while(|line| !line.starts_with("Data axis to CRS axis mapping"))
        .skip(1)
        .map(str::to_owned)
        .collect();
    let mut features: Vec<OgrFeature> = Vec::new();
    for line in run(&["-ro", "-al"]).lines() {
        if line.starts_with("OGRFeature(") {
            features.push(OgrFeature {
                attributes: Vec::new(),
                geometry_type: String::new(),
                polygons: Vec::new(),
            });
        } else if let (Some(feature), Some(text)) = (features.last_mut(), line.strip_prefix("  ")) {
            let geometry = text.split_once(' ').filter(|(keyword, _)| WKT_TYPES.contains(keyword));
            if let Some((keyword, wkt)) = geometry {
                feature.geometry_type = keyword.to_owned();
                feature.polygons = match keyword {
                    "POLYGON" => vec![wkt_rings(wkt)],
                    "MULTIPOLYGON" => wkt_lists(wkt).iter().map(|p| wkt_rings(p)).collect(),
                    _ => Vec::new(),
                };
            } else if text.contains(" = ") {
                feature.attributes.push(text.to_owned());
            } else {
                panic!("unexpected line in ogrinfo's features: {line}");
            }
        }
    }
    Some(OgrLayer { geometry, feature_count, fields, features })
}

/// The top-level parenthesised items of `(a),(b),…` (wrapped in one more pair), each with
/// its own parentheses.
fn wkt_lists(wkt: &str) -> Vec<String> {
    let inner = wkt.trim().strip_prefix('(').and_then(|w| w.strip_suffix(')')).unwrap();
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (k, c) in inner.char_indices() {
        match c {
            '(' => {
                if depth == 0 {
                    start = k;
                }
                depth += 1;
            }
            ')' => {
                depth -= 1;
                if depth == 0 {
                    items.push(inner[start..=k].to_owned());
                }
            }
            _ => {}
        }
    }
    items
}

/// `((x y,x y,…),(…))` → rings of `[x, y]`.
fn wkt_rings(wkt: &str) -> Vec<Vec<[f64; 2]>> {
    wkt_lists(wkt)
        .iter()
        .map(|ring| {
            ring.trim_matches(['(', ')'])
                .split(',')
                .map(|pair| {
                    let mut numbers = pair.split_whitespace().map(|n| n.parse::<f64>().unwrap());
                    [numbers.next().unwrap(), numbers.next().unwrap()]
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn square(clockwise: bool) -> Value {
        let mut ring = vec![json!([0, 0]), json!([1, 0]), json!([1, 1]), json!([0, 1])];
        if clockwise {
            ring.reverse();
        }
        ring.push(ring[0].clone());
        Value::Array(ring)
    }

    fn feature(geometry: Value) -> Value {
        json!({"type": "Feature", "geometry": geometry, "properties": {"id": "A"}})
    }

    #[test]
    fn valid_documents_pass() {
        let polygon = json!({"type": "Polygon", "coordinates": [square(false)]});
        let multi =
            json!({"type": "MultiPolygon", "coordinates": [[square(false)], [square(false)]]});
        let collection = json!({"type": "FeatureCollection", "features": [
            feature(polygon.clone()), feature(multi), feature(Value::Null),
            {"type": "Feature", "id": 7, "geometry": {"type": "Point", "coordinates": [1.5, 2, 3]}, "properties": null},
        ]});
        for value in [polygon, collection] {
            assert_eq!(validate(&value), Vec::<String>::new(), "{value}");
        }
    }

    #[test]
    fn each_broken_rule_is_reported() {
        let hole_wrong_way =
            json!({"type": "Polygon", "coordinates": [square(false), square(false)]});
        let open_ring =
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]});
        let cases = [
            (json!({"type": "Polygon", "coordinates": [square(true)]}), "counter-clockwise"),
            (hole_wrong_way, "clockwise"),
            (open_ring, "closed"),
            (json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}), "at least 4"),
            (
                json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], ["0", 0]]]}),
                "2 or 3 numbers",
            ),
            (json!({"type": "Point", "coordinates": [52.6, -181]}), "longitude, latitude"),
            (json!({"type": "Point", "coordinates": [200, 52.6]}), "longitude, latitude"),
            (json!({"type": "Polygon"}), "needs coordinates"),
            (json!({"type": "Circle", "coordinates": []}), "not a GeoJSON type"),
            (json!({"type": "Feature", "properties": {}}), "geometry member"),
            (json!({"type": "Feature", "geometry": null}), "properties"),
            (
                json!({"type": "Feature", "geometry": null, "properties": [], "id": true}),
                "properties",
            ),
            (
                json!({"type": "Feature", "geometry": null, "properties": {}, "id": true}),
                "string or a number",
            ),
            (json!({"type": "FeatureCollection"}), "features array"),
            (
                json!({"type": "FeatureCollection", "features": [{"type": "Polygon", "coordinates": [square(false)]}]}),
                "Features only",
            ),
            (
                json!({"type": "Polygon", "coordinates": [square(false)], "properties": {}}),
                "must not have properties",
            ),
            (
                json!({"type": "Feature", "geometry": null, "properties": {}, "coordinates": []}),
                "must not have coordinates",
            ),
            (json!({"type": "Polygon", "coordinates": [square(false)], "bbox": [0, 0, 1]}), "bbox"),
            (json!([1, 2]), "JSON object"),
        ];
        for (value, says) in cases {
            let errors = validate(&value);
            assert!(
                errors.iter().any(|e| e.contains(says)),
                "{value}: {errors:?} should say {says:?}"
            );
        }
    }

    #[test]
    fn wkt_polygons_and_multipolygons_are_read_into_rings() {
        assert_eq!(
            wkt_rings("((-1.16 52.6,-1.1 52.6,-1.1 52.66,-1.16 52.6),(0 1,2 3,4 5,0 1))"),
            vec![
                vec![[-1.16, 52.6], [-1.1, 52.6], [-1.1, 52.66], [-1.16, 52.6]],
                vec![[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [0.0, 1.0]]
            ]
        );
        let parts = wkt_lists("(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5),(1 1,2 2,3 3,1 1)))");
        assert_eq!(parts.len(), 2);
        assert_eq!(wkt_rings(&parts[1]).len(), 2);
    }
}
