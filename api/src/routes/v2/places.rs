//! `/api/v2/places`: find a place by name, among the snap points' street names ("On or near
//! High Street") and the neighbourhoods' names, for the web front end's search box.

use std::sync::Arc;

use actix_web::{get, web, HttpRequest, HttpResponse};
use police_index::places::{matches, words, Match};
use police_openapi::{NeighbourhoodPlace, PlaceSearch, StreetPlaceAnswer};
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::params::{self, Params};
use crate::render;
use crate::state::AppState;

/// Places of each kind answered when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 10;
/// The most places of each kind one answer lists.
pub const MAX_LIMIT: usize = 50;
/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// The most words a query may have.
pub const MAX_QUERY_WORDS: usize = 8;

/// What to look for.
#[derive(Debug, Clone, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlacesQuery {
    /// Words to find (at most 100 characters, 8 words, 2 letters or digits in all): each must start a word of the name; case, punctuation and a leading "On or near" do not matter
    #[param(value_type = String, required = true, example = "high st")]
    q: Option<String>,
    /// How many places of each kind to answer, from 1 to 50; default 10
    #[param(value_type = Option<u32>, minimum = 1, maximum = 50, example = 10)]
    limit: Option<String>,
}

fn match_name(quality: Match) -> &'static str {
    match quality {
        Match::Exact => "exact",
        Match::Start => "start",
        Match::Words => "words",
    }
}

impl PlacesQuery {
    /// `q` and `limit` among `params`; an empty `limit` counts as not given.
    pub fn from_params(params: &Params) -> Self {
        PlacesQuery {
            q: params.get("q").map(str::to_owned),
            limit: params.get("limit").filter(|v| !v.is_empty()).map(str::to_owned),
        }
    }
}

/// The query as given, its words and the limit, or a 400 saying what is wrong.
fn read(query: PlacesQuery) -> Result<(String, Vec<String>, usize), ApiError> {
    let q = query.q.ok_or_else(|| {
        ApiError::BadRequest("q is required: the words to find, e.g. q=high street".into())
    })?;
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(format!("q is longer than {MAX_QUERY_CHARS} characters")));
    }
    let found = words(&q);
    if found.iter().map(|w| w.chars().count()).sum::<usize>() < 2 {
        return Err(ApiError::BadRequest(format!(
            "q must hold at least 2 letters or digits (besides \"On or near\"), got {q:?}"
        )));
    }
    if found.len() > MAX_QUERY_WORDS {
        return Err(ApiError::BadRequest(format!(
            "q has {} words; at most {MAX_QUERY_WORDS}",
            found.len()
        )));
    }
    let limit = params::limit_from(query.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    Ok((q, found, limit))
}

/// Find a place.
///
/// Streets and neighbourhoods whose names match `q`: every word of `q` must start a word of
/// the name (case, punctuation and a leading "On or near" aside), e.g. `q=high st` finds
/// "On or near High Street". A street name is shared by snap points all over the country, so
/// each name's points are grouped into places: points of the name within a kilometre of
/// each other (directly or through other points of the name) are one place, answered with
/// its centre, bounding box and number of snap points. Best first: names equal to the query,
/// then names starting with it, then the rest; among those, more snap points first, then
/// name, then `location_id` (neighbourhoods: the force's order of `/api/forces`, then its
/// neighbourhood list's). The work per request is one pass over the distinct names held.
#[utoipa::path(
    tag = "v2",
    params(PlacesQuery),
    responses(
        (status = 200, description = "The best street places and neighbourhoods", body = PlaceSearch),
        (status = 400, description = "No q, or one longer than 100 characters, of more than 8 words, or with fewer than 2 letters or digits; a limit outside 1 to 50", content_type = "text/plain"),
    )
)]
#[get("/places")]
pub async fn find_places(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let (q, query, limit) = read(PlacesQuery::from_params(&params))?;
    let served = state.current();

    // On a blocking thread: the first search of a snapshot groups its snap points into
    // places (a pass over every point), and every search scans the distinct names.
    let street_query = query.clone();
    let searched = Arc::clone(&served);
    let (streets, streets_matched) = actix_web::rt::task::spawn_blocking(move || {
        let (found, matched) = searched.places().search(&street_query, limit);
        let streets: Vec<StreetPlaceAnswer> = found
            .into_iter()
            .map(|found| {
                let place = found.place;
                let located =
                    searched.neighbourhoods.locate_neighbourhood(place.latitude, place.longitude);
                let force_name = located.and_then(|(force, _)| {
                    searched.forces.iter().find(|f| f.id == force.id).map(|f| f.name.clone())
                });
                StreetPlaceAnswer {
                    street: place.name.to_string(),
                    r#match: match_name(found.quality),
                    snap_points: place.points,
                    location_id: place.location_id,
                    latitude: place.latitude,
                    longitude: place.longitude,
                    south: place.south,
                    west: place.west,
                    north: place.north,
                    east: place.east,
                    force: located.map(|(force, _)| force.id.clone()),
                    force_name,
                    neighbourhood: located.map(|(_, neighbourhood)| neighbourhood.id.clone()),
                    neighbourhood_name: located
                        .map(|(_, neighbourhood)| neighbourhood.name.clone()),
                }
            })
            .collect();
        (streets, matched)
    })
    .await
    .map_err(|_| ApiError::Internal)?;

    let mut neighbourhoods: Vec<(Match, usize, NeighbourhoodPlace)> = Vec::new();
    let data = &served.neighbourhoods;
    for listed in &served.forces {
        let Some(force) = data.force(&listed.id) else { continue };
        for neighbourhood in force.listed_neighbourhoods() {
            let Some(quality) = matches(&words(&neighbourhood.name), &query) else { continue };
            let bounds = data
                .boundary(neighbourhood)
                .and_then(|b| b.bounding_box())
                .map(|(south, west, north, east)| [south, west, north, east]);
            let order = neighbourhoods.len();
            neighbourhoods.push((
                quality,
                order,
                NeighbourhoodPlace {
                    force: listed.id.clone(),
                    force_name: listed.name.clone(),
                    id: neighbourhood.id.clone(),
                    name: neighbourhood.name.clone(),
                    r#match: match_name(quality),
                    bounds,
                },
            ));
        }
    }
    let neighbourhoods_matched = neighbourhoods.len();
    neighbourhoods.sort_by_key(|(quality, order, _)| (*quality, *order));
    neighbourhoods.truncate(limit);

    render::json_response(&PlaceSearch {
        q,
        words: query,
        limit,
        streets_matched,
        streets,
        neighbourhoods_matched,
        neighbourhoods: neighbourhoods.into_iter().map(|(_, _, n)| n).collect(),
    })
}
