//! The web front end: a map of the crimes held, an area panel and a dashboard, served at `/`
//! and `/dashboard` as pages whose scripts read this server's own API (police.uk's routes
//! and `/api/v2/`) and nothing else. Every asset, Leaflet and uPlot included, is compiled
//! into the binary (`api/assets/web/`), so the pages work offline; only the base map tiles
//! come from elsewhere, and only when `--tiles` names a tile server.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{web, HttpResponse};

use crate::error::ApiError;
use crate::state::AppState;

/// OpenStreetMap's standard raster tiles: the default base map.
pub const OPENSTREETMAP_TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

/// Where the map's base tiles come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tiles {
    /// No base layer: boundaries and crimes on a plain background (offline deployments).
    None,
    /// A raster tile URL template with `{z}`, `{x}` and `{y}` (Leaflet's `{s}` allowed).
    Url(String),
}

impl Default for Tiles {
    /// OpenStreetMap's tiles.
    fn default() -> Self {
        Tiles::Url(OPENSTREETMAP_TILES.to_owned())
    }
}

impl Tiles {
    /// What the page is told: the URL template, or `none`.
    pub fn as_str(&self) -> &str {
        match self {
            Tiles::None => "none",
            Tiles::Url(url) => url,
        }
    }
}

/// Reads `--tiles`: `none`, or an `http(s)://` URL template holding `{z}`, `{x}` and `{y}`.
pub fn parse_tiles(value: &str) -> Result<Tiles, String> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("none") {
        return Ok(Tiles::None);
    }
    if !(value.starts_with("https://") || value.starts_with("http://")) {
        return Err(format!("expected `none` or an http(s):// tile URL, got `{value}`"));
    }
    if let Some(missing) = ["{z}", "{x}", "{y}"].into_iter().find(|p| !value.contains(p)) {
        return Err(format!("the tile URL `{value}` lacks {missing} (e.g. {OPENSTREETMAP_TILES})"));
    }
    if value.chars().any(|c| c.is_control() || c == '"' || c == '<' || c == '>') {
        return Err(format!("the tile URL `{value}` holds a character URLs do not"));
    }
    Ok(Tiles::Url(value.to_owned()))
}

const MAP_PAGE: &str = include_str!("../assets/web/index.html");
const DASHBOARD_PAGE: &str = include_str!("../assets/web/dashboard.html");
/// The placeholder in the pages' `<meta name="police-tiles">` replaced by the tile setting.
const TILES_PLACEHOLDER: &str = "{{TILES}}";

/// Every asset the pages load, by the name under `/assets/`: body and content type.
const ASSETS: &[(&str, &str, &str)] = &[
    ("web.css", include_str!("../assets/web/web.css"), "text/css; charset=utf-8"),
    ("common.js", include_str!("../assets/web/common.js"), JS),
    ("map.js", include_str!("../assets/web/map.js"), JS),
    ("dashboard.js", include_str!("../assets/web/dashboard.js"), JS),
    ("leaflet.js", include_str!("../assets/web/leaflet/leaflet.js"), JS),
    ("leaflet.css", include_str!("../assets/web/leaflet/leaflet.css"), "text/css; charset=utf-8"),
    ("uPlot.iife.min.js", include_str!("../assets/web/uplot/uPlot.iife.min.js"), JS),
    ("uPlot.min.css", include_str!("../assets/web/uplot/uPlot.min.css"), "text/css; charset=utf-8"),
];
const JS: &str = "text/javascript; charset=utf-8";

/// Registers `/`, `/dashboard` and `/assets/{name}`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(map_page))
        .route("/dashboard", web::get().to(dashboard_page))
        .route("/assets/{name}", web::get().to(asset));
}

fn html(page: &str, state: &AppState) -> HttpResponse {
    let tiles = html_attribute(state.tiles().as_str());
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .body(page.replace(TILES_PLACEHOLDER, &tiles))
}

/// Escapes `value` for a double-quoted HTML attribute.
fn html_attribute(value: &str) -> String {
    value.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `/`: the map, the month slider, the category filter and the area panel.
pub async fn map_page(state: web::Data<AppState>) -> HttpResponse {
    html(MAP_PAGE, &state)
}

/// `/dashboard`: a force's neighbourhoods, month by month, against a baseline.
pub async fn dashboard_page(state: web::Data<AppState>) -> HttpResponse {
    html(DASHBOARD_PAGE, &state)
}

/// `/assets/{name}`: the pages' scripts and styles, Leaflet and uPlot; anything else 404.
pub async fn asset(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (_, body, content_type) =
        ASSETS.iter().find(|(n, _, _)| *n == name.as_str()).ok_or(ApiError::RouteNotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header(CacheControl(vec![CacheDirective::Public, CacheDirective::MaxAge(3_600)]))
        .body(*body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_are_none_or_a_url_template() {
        assert_eq!(parse_tiles("none"), Ok(Tiles::None));
        assert_eq!(parse_tiles(OPENSTREETMAP_TILES), Ok(Tiles::default()));
        assert_eq!(
            parse_tiles("http://tiles.local/{z}/{x}/{y}.png"),
            Ok(Tiles::Url("http://tiles.local/{z}/{x}/{y}.png".into()))
        );
        assert!(parse_tiles("tiles.local/{z}/{x}/{y}.png").is_err());
        assert!(parse_tiles("https://tiles.local/{z}/{x}.png").unwrap_err().contains("{y}"));
        assert!(parse_tiles("https://t/{z}/{x}/{y}\".png").is_err());
    }
}
