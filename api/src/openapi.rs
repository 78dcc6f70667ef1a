//! Assembling the OpenAPI document: the base from `police-openapi` plus every route
//! [`crate::routes::configure`] registers, collected from the handlers' `#[utoipa::path]`
//! annotations. Served at `/api/openapi.json` (see [`crate::docs`]) and committed as
//! `openapi/openapi.json`.

use actix_web::App;
use utoipa_actix_web::AppExt;

use crate::routes;

/// The OpenAPI document: the base from `police-openapi` and every route registered by
/// [`routes::configure`], collected from the handlers' `#[utoipa::path]` annotations.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_app, mut document) = App::new()
        .into_utoipa_app()
        .openapi(police_openapi::base_document())
        .configure(routes::configure)
        .split_for_parts();
    split_form_posts(&mut document);
    document
}

/// The area routes take GET and a form POST through one handler, so utoipa describes both
/// with one operation. Make them two: GET without a request body, POST with its own
/// operation id (operation ids must be unique).
fn split_form_posts(document: &mut utoipa::openapi::OpenApi) {
    for item in document.paths.paths.values_mut() {
        let (Some(get), Some(post)) = (item.get.as_mut(), item.post.as_mut()) else { continue };
        get.request_body = None;
        if let Some(id) = &post.operation_id {
            post.operation_id = Some(format!("{id}_form"));
        }
        if let Some(summary) = &post.summary {
            post.summary = Some(format!("{} (form POST)", summary.trim_end_matches('.')));
        }
    }
}

/// [`openapi_document`] as the pretty-printed JSON committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let mut json = openapi_document().to_pretty_json().expect("the document serialises");
    json.push('\n');
    json
}
