//! `/api/v2/crime-category-groups`: the names the v2 routes' `category` takes for several
//! categories at once.

use actix_web::{get, HttpResponse};
use police_index::reference::CATEGORY_GROUPS;
use police_openapi::CategoryGroupAnswer;

use crate::error::ApiError;
use crate::render;

/// Crime category groups.
///
/// Named groups of crime categories that the v2 routes' `category` parameter takes beside
/// the slugs of `crime-categories` (e.g. `category=neighbourhood-crime`): the London crime
/// dashboard's key neighbourhood crimes, violence, acquisitive crime, anti-social behaviour,
/// and crime without anti-social behaviour. Each says which categories it stands for and,
/// in `notes`, where police.uk's categories can only approximate it.
#[utoipa::path(
    tag = "v2",
    responses(
        (status = 200, description = "Every category group", body = [CategoryGroupAnswer]),
    )
)]
#[get("/crime-category-groups")]
pub async fn crime_category_groups() -> Result<HttpResponse, ApiError> {
    let groups: Vec<CategoryGroupAnswer> = CATEGORY_GROUPS
        .iter()
        .map(|group| CategoryGroupAnswer {
            id: group.id,
            name: group.name,
            categories: group.categories.to_vec(),
            notes: group.notes,
        })
        .collect();
    render::json_response(&groups)
}
