//! The OpenAPI document (`/api/openapi.json`) and the interactive docs page (`/docs`),
//! whose assets are compiled into the binary: nothing is fetched from a CDN.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{get, web, HttpResponse};

use crate::error::ApiError;

const PAGE: &str = include_str!("../assets/docs.html");
const SCRIPT: &str = include_str!("../assets/docs.js");
const SWAGGER_UI_JS: &str = include_str!("../assets/swagger-ui/swagger-ui-bundle.js");
const SWAGGER_UI_CSS: &str = include_str!("../assets/swagger-ui/swagger-ui.css");

/// The document served at `/api/openapi.json`, rendered once at start.
pub struct OpenApiJson(pub String);

/// The OpenAPI document of this server.
///
/// The machine-readable description of every route, generated from the code.
#[utoipa::path(
    tag = "docs",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
#[get("/openapi.json")]
pub async fn openapi_json(document: web::Data<OpenApiJson>) -> HttpResponse {
    crate::render::json_body(document.0.clone())
}

/// `/docs`: Swagger UI over `/api/openapi.json`.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(PAGE)
}

/// `/docs/{asset}`: the page's script and Swagger UI's bundle and stylesheet.
pub async fn asset(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (body, content_type) = match name.as_str() {
        "docs.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "swagger-ui-bundle.js" => (SWAGGER_UI_JS, "text/javascript; charset=utf-8"),
        "swagger-ui.css" => (SWAGGER_UI_CSS, "text/css; charset=utf-8"),
        _ => return Err(ApiError::RouteNotFound),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(CacheControl(vec![CacheDirective::Public, CacheDirective::MaxAge(86_400)]))
        .body(body))
}
