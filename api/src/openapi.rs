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
    document_conditional_requests(&mut document);
    document
}

/// What [`crate::etag`] adds to every `/api/v2/` operation: the `If-None-Match` header,
/// `ETag` and `Cache-Control` on its 2xx answers, and the 304 (GET) or 412 (POST) a matching
/// tag gets.
fn document_conditional_requests(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{Object, RefOr, Required, ResponseBuilder, Type};

    let text = || Object::with_type(Type::String);
    let etag = HeaderBuilder::new()
        .schema(Some(text()))
        .description(Some(
            "A weak entity tag of this answer (the data's version and the request): send it \
             back as If-None-Match to revalidate",
        ))
        .example(Some(serde_json::json!("W/\"9d1c0e5a7f3b2c4d8e6f1a2b3c4d5e6f\"")))
        .build();
    let cache_control = HeaderBuilder::new()
        .schema(Some(text()))
        .description(Some("`no-cache`: keep the answer, but revalidate it before each use"))
        .example(Some(serde_json::json!("no-cache")))
        .build();
    let if_none_match = ParameterBuilder::new()
        .name("If-None-Match")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Entity tags from earlier answers (or `*`): when one is this answer's, a GET gets \
             304 without a body and a POST 412",
        ))
        .schema(Some(text()))
        .build();
    for (path, item) in document.paths.paths.iter_mut() {
        if !path.starts_with("/api/v2/") {
            continue;
        }
        for (operation, safe) in [(item.get.as_mut(), true), (item.post.as_mut(), false)] {
            let Some(operation) = operation else { continue };
            operation.parameters.get_or_insert_with(Vec::new).push(if_none_match.clone().into());
            for (status, response) in operation.responses.responses.iter_mut() {
                if let (true, RefOr::T(response)) = (status.starts_with('2'), response) {
                    response.headers.insert("ETag".into(), RefOr::T(etag.clone()));
                    response
                        .headers
                        .insert("Cache-Control".into(), RefOr::T(cache_control.clone()));
                }
            }
            let (status, response) = if safe {
                let not_modified = ResponseBuilder::new()
                    .description("Not Modified: If-None-Match names this answer's tag; no body")
                    .header("ETag", etag.clone())
                    .header("Cache-Control", cache_control.clone())
                    .build();
                ("304", not_modified)
            } else {
                let failed = ResponseBuilder::new()
                    .description(
                        "Precondition Failed: If-None-Match names this answer's tag (RFC 9110 \
                         §13.1.2: a POST is not answered again)",
                    )
                    .content(
                        "text/plain",
                        utoipa::openapi::ContentBuilder::new().schema(Some(text())).build(),
                    )
                    .build();
                ("412", failed)
            };
            operation.responses.responses.insert(status.into(), RefOr::T(response));
        }
    }
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
