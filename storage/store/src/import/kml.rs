//! Reading police.uk's neighbourhood boundary KMLs (the `<force>/<neighbourhood>.kml` files of
//! data.police.uk/data/boundaries/) with a real XML parser.
//!
//! Every `Polygon` anywhere in the document is one part of the boundary, whether it stands
//! alone, sits in a `MultiGeometry` (nested or not) or in several `Placemark`s. A polygon's
//! `outerBoundaryIs` ring is its outline and each `innerBoundaryIs` ring a hole. Coordinates
//! are `lng,lat[,alt]` tuples separated by whitespace; the altitude is ignored. Namespaces
//! and prefixes are ignored (elements are matched by local name).

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::Reader;

use super::types::Rejection;
use police_index::neighbourhoods::{Boundary, Ring};

/// A KML read into boundary parts, with the polygons that could not be used.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedKml {
    pub boundary: Boundary,
    /// Polygons found (accepted + rejected).
    pub polygons_read: u64,
    /// Unusable polygons: `line` is the polygon's number in the document (from 1).
    pub rejections: Vec<Rejection>,
}

/// Why a KML file is refused whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KmlError {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("not a KML document (the root element is <{0}>)")]
    NotKml(String),
    #[error("the KML has no Polygon")]
    NoPolygon,
    #[error("none of the KML's {0} polygons is usable")]
    NoUsablePolygon(u64),
}

/// Where a ring is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RingRole {
    Outer,
    Inner,
}

#[derive(Default)]
struct PolygonBuilder {
    outer: Option<Result<Ring, String>>,
    inner: Vec<Result<Ring, String>>,
}

/// Parses a KML document. Refuses it when it is not well-formed XML, not KML, or has no usable
/// polygon; a polygon with a bad coordinate, too few vertices or no outer ring is rejected
/// alone.
pub fn parse_kml(bytes: &[u8]) -> Result<ParsedKml, KmlError> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut root_seen = false;
    let mut polygon: Option<PolygonBuilder> = None;
    let mut role: Option<RingRole> = None;
    let mut text: Option<String> = None;
    let mut polygons_read = 0u64;
    let mut parts: Vec<Vec<Ring>> = Vec::new();
    let mut rejections = Vec::new();
    let xml_error = |reader: &Reader<&[u8]>, e: &dyn std::fmt::Display| {
        KmlError::Xml(format!("{e} (at byte {})", reader.error_position()))
    };
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| xml_error(&reader, &e))?;
        match event {
            Event::Start(start) => {
                let name = start.local_name().into_inner().to_owned();
                if !root_seen {
                    root_seen = true;
                    if name != "kml" {
                        return Err(KmlError::NotKml(name));
                    }
                }
                match name.as_str() {
                    "Polygon" => polygon = Some(PolygonBuilder::default()),
                    "outerBoundaryIs" => role = Some(RingRole::Outer),
                    "innerBoundaryIs" => role = Some(RingRole::Inner),
                    "coordinates" => text = Some(String::new()),
                    _ => {}
                }
                stack.push(name);
            }
            Event::Empty(start) => {
                if !root_seen {
                    return Err(KmlError::NotKml(start.local_name().into_inner().to_owned()));
                }
                if start.local_name().into_inner() == "Polygon" {
                    polygons_read += 1;
                    rejections.push(Rejection {
                        line: polygons_read,
                        reason: "the polygon is empty".into(),
                    });
                }
            }
            Event::Text(t) => {
                if let Some(text) = text.as_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            // Entity and character references (`&amp;`, `&#44;`) arrive between text events.
            Event::GeneralRef(reference) => {
                if let Some(text) = text.as_mut() {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => resolve_predefined_entity(&reference)
                            .ok_or_else(|| {
                                let entity = format!("unknown entity &{};", &*reference);
                                xml_error(&reader, &entity)
                            })?
                            .to_owned(),
                        Err(e) => return Err(xml_error(&reader, &e)),
                    };
                    text.push_str(&resolved);
                }
            }
            Event::CData(t) => {
                if let Some(text) = text.as_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::End(end) => {
                let name = end.local_name().into_inner().to_owned();
                stack.pop();
                match name.as_str() {
                    "coordinates" => {
                        let ring = parse_ring(&text.take().unwrap_or_default());
                        // Coordinates of a ring count only inside a polygon's boundary.
                        let in_ring = stack.iter().any(|n| n == "LinearRing");
                        if let (Some(p), Some(role), true) = (polygon.as_mut(), role, in_ring) {
                            match role {
                                RingRole::Outer if p.outer.is_none() => p.outer = Some(ring),
                                RingRole::Outer => {
                                    p.outer =
                                        Some(Err("the polygon has more than one outer ring".into()))
                                }
                                RingRole::Inner => p.inner.push(ring),
                            }
                        }
                    }
                    "outerBoundaryIs" | "innerBoundaryIs" => role = None,
                    "Polygon" => {
                        polygons_read += 1;
                        let built = polygon.take().unwrap_or_default();
                        match finish_polygon(built) {
                            Ok(rings) => parts.push(rings),
                            Err(reason) => {
                                rejections.push(Rejection { line: polygons_read, reason })
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !root_seen {
        return Err(KmlError::NotKml("nothing".into()));
    }
    if let Some(open) = stack.last() {
        return Err(KmlError::Xml(format!("the document ends inside <{open}>")));
    }
    if polygons_read == 0 {
        return Err(KmlError::NoPolygon);
    }
    if parts.is_empty() {
        return Err(KmlError::NoUsablePolygon(polygons_read));
    }
    let boundary = Boundary::new(parts).map_err(|e| KmlError::Xml(e.to_string()))?;
    Ok(ParsedKml { boundary, polygons_read, rejections })
}

fn finish_polygon(polygon: PolygonBuilder) -> Result<Vec<Ring>, String> {
    let outer = polygon.outer.ok_or("the polygon has no outerBoundaryIs ring")??;
    let mut rings = vec![outer];
    for hole in polygon.inner {
        rings.push(hole.map_err(|e| format!("a hole: {e}"))?);
    }
    // Checked here (not only by `Boundary::new`) so that one bad polygon is rejected alone.
    Boundary::new(vec![rings.clone()]).map_err(|e| e.to_string())?;
    Ok(rings)
}

/// `lng,lat[,alt] lng,lat[,alt] …` to `[lat, lng]` vertices.
fn parse_ring(text: &str) -> Result<Ring, String> {
    text.split_whitespace()
        .map(|tuple| {
            let mut fields = tuple.split(',');
            let (Some(lng), Some(lat)) = (fields.next(), fields.next()) else {
                return Err(format!("coordinate {tuple:?} is not lng,lat[,alt]"));
            };
            if fields.count() > 1 {
                return Err(format!("coordinate {tuple:?} is not lng,lat[,alt]"));
            }
            let number = |t: &str| t.parse::<f64>().ok().filter(|v| v.is_finite());
            match (number(lat), number(lng)) {
                (Some(lat), Some(lng)) => Ok([lat, lng]),
                _ => Err(format!("coordinate {tuple:?} is not lng,lat[,alt]")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: &str = "-1.0,52.0,0 0.0,52.0,0 0.0,53.0,0 -1.0,53.0,0 -1.0,52.0,0";
    const HOLE: &str = "-0.6,52.4 -0.4,52.4 -0.4,52.6 -0.6,52.6 -0.6,52.4";

    fn kml(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\
             <Document><Placemark><name>X</name>{body}</Placemark></Document></kml>"
        )
    }

    fn polygon(outer: &str, holes: &[&str]) -> String {
        let mut out = format!(
            "<Polygon><outerBoundaryIs><LinearRing><coordinates>{outer}</coordinates></LinearRing></outerBoundaryIs>"
        );
        for hole in holes {
            out.push_str(&format!(
                "<innerBoundaryIs><LinearRing><coordinates>\n  {hole}\n</coordinates></LinearRing></innerBoundaryIs>"
            ));
        }
        out.push_str("</Polygon>");
        out
    }

    #[test]
    fn reads_a_polygon_with_a_hole() {
        let parsed = parse_kml(kml(&polygon(SQUARE, &[HOLE])).as_bytes()).unwrap();
        assert_eq!(parsed.polygons_read, 1);
        assert_eq!(parsed.boundary.parts.len(), 1);
        assert_eq!(parsed.boundary.parts[0].len(), 2);
        assert_eq!(parsed.boundary.parts[0][0][1], [52.0, 0.0]);
        assert_eq!(parsed.boundary.parts[0][0].len(), 4, "closing repeat dropped");
        assert!(parsed.boundary.contains(52.2, -0.8));
        assert!(!parsed.boundary.contains(52.5, -0.5));
    }

    #[test]
    fn reads_multi_geometry_and_prefixed_elements() {
        let far = "1.0,54.0 1.1,54.0 1.1,54.1";
        let body = format!(
            "<MultiGeometry>{}<MultiGeometry>{}</MultiGeometry></MultiGeometry>",
            polygon(SQUARE, &[]),
            polygon(far, &[])
        );
        let parsed = parse_kml(kml(&body).as_bytes()).unwrap();
        assert_eq!(parsed.boundary.parts.len(), 2);
        let prefixed = "<k:kml xmlns:k=\"http://www.opengis.net/kml/2.2\"><k:Placemark><k:Polygon>\
            <k:outerBoundaryIs><k:LinearRing><k:coordinates><![CDATA[1,2 1,3 2,3]]></k:coordinates>\
            </k:LinearRing></k:outerBoundaryIs></k:Polygon></k:Placemark></k:kml>";
        let parsed = parse_kml(prefixed.as_bytes()).unwrap();
        assert_eq!(parsed.boundary.parts, vec![vec![vec![[2.0, 1.0], [3.0, 1.0], [3.0, 2.0]]]]);
    }

    #[test]
    fn a_bad_polygon_is_rejected_alone() {
        let body = format!(
            "<MultiGeometry>{}{}{}</MultiGeometry>",
            polygon(SQUARE, &[]),
            polygon("1,2 1,x 2,3", &[]),
            polygon("1,2 1,3", &[])
        );
        let parsed = parse_kml(kml(&body).as_bytes()).unwrap();
        assert_eq!(parsed.polygons_read, 3);
        assert_eq!(parsed.boundary.parts.len(), 1);
        let lines: Vec<u64> = parsed.rejections.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3]);
        assert!(parsed.rejections[0].reason.contains("\"1,x\""), "{:?}", parsed.rejections);
    }

    #[test]
    fn broken_files_are_refused_with_a_reason() {
        let truncated = &kml(&polygon(SQUARE, &[]))[..150];
        assert!(matches!(parse_kml(truncated.as_bytes()), Err(KmlError::Xml(_))));
        let mismatched = kml("<Polygon><outerBoundaryIs></Polygon>");
        assert!(matches!(parse_kml(mismatched.as_bytes()), Err(KmlError::Xml(_))));
        assert_eq!(parse_kml(b"<html><body/></html>"), Err(KmlError::NotKml("html".into())));
        assert_eq!(parse_kml(b""), Err(KmlError::NotKml("nothing".into())));
        assert_eq!(parse_kml(kml("<Point/>").as_bytes()), Err(KmlError::NoPolygon));
        assert_eq!(
            parse_kml(kml(&polygon("1,2 1,3", &[])).as_bytes()),
            Err(KmlError::NoUsablePolygon(1))
        );
    }
}
