//! This server's own routes under `/api/v2/`, beyond police.uk's API: statistics over many
//! months, answered from the index, and the custom download, built from the store; one
//! module per route. Their parameters are stricter than
//! police.uk's (see `params`: `V2AreaQuery`, `PeriodQuery`, `CategoriesQuery`).

mod boundaries;
mod compare;
mod counts;
mod download;
mod groups;
mod hotspots;
mod list;
mod outcomes;
mod places;
mod stops;

pub use boundaries::{neighbourhood_boundaries_geojson, neighbourhood_boundary_geojson};
pub use compare::crime_compare;
pub use counts::crime_counts;
pub use download::custom_download;
pub use groups::crime_category_groups;
pub use hotspots::crime_hotspots;
pub use list::{crime_list, outcome_list, stop_list};
pub use outcomes::outcome_counts;
pub use places::find_places;
pub use stops::stop_counts;
