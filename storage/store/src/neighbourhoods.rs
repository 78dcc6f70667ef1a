//! Forces' and neighbourhoods' pages as the store holds them (JSON columns), read into
//! [`NeighbourhoodData`] when a snapshot is loaded.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use police_index::neighbourhoods::{Boundary, NeighbourhoodData, StoredNeighbourhood};
use police_openapi::{
    ContactDetails, EngagementMethod, ForceDetail, LatLng, NeighbourhoodDetail, NeighbourhoodLink,
    NeighbourhoodLocation, Person,
};

/// Reads forces listed by `/api/forces` and every neighbourhood of theirs from the store
/// (within the caller's transaction).
pub fn load_neighbourhoods(conn: &mut PgConnection) -> anyhow::Result<NeighbourhoodData> {
    let forces: Vec<ForceRow> = diesel::sql_query(
        "SELECT id, name, description, url, telephone, engagement_methods::text AS engagement_methods, \
                people::text AS people \
         FROM forces WHERE list_position IS NOT NULL ORDER BY list_position",
    )
    .load(conn)?;
    let forces = forces
        .into_iter()
        .map(|row| {
            let context = || format!("force {} in the store", row.id);
            let engagement_methods: Vec<EngagementMethod> =
                serde_json::from_str(&row.engagement_methods)
                    .map_err(anyhow::Error::from)
                    .map_err(|e| e.context(context()))?;
            let people: Vec<Person> = serde_json::from_str(&row.people)
                .map_err(anyhow::Error::from)
                .map_err(|e| e.context(context()))?;
            let detail = ForceDetail {
                description: row.description,
                url: row.url,
                engagement_methods,
                telephone: row.telephone,
                id: row.id,
                name: row.name,
            };
            Ok((detail, people))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    // Listed neighbourhoods first, in list order; the others (known only from a boundary
    // or a detail file) after them, by id.
    let rows: Vec<NeighbourhoodRow> = diesel::sql_query(
        "SELECT force_id, id, name, description, url_force, welcome_message, population, \
                contact_details::text AS contact_details, centre_latitude, centre_longitude, \
                links::text AS links, locations::text AS locations, boundary::text AS boundary, \
                people::text AS people, events::text AS events, priorities::text AS priorities \
         FROM neighbourhoods ORDER BY force_id, list_position NULLS LAST, id",
    )
    .load(conn)?;
    let neighbourhoods = rows
        .into_iter()
        .map(|row| {
            let what = format!("neighbourhood {}/{} in the store", row.force_id, row.id);
            row.into_stored().map_err(|e| e.context(what))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    NeighbourhoodData::build(forces, neighbourhoods)
}

#[derive(QueryableByName)]
struct ForceRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    description: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    telephone: Option<String>,
    #[diesel(sql_type = Text)]
    engagement_methods: String,
    #[diesel(sql_type = Text)]
    people: String,
}

#[derive(QueryableByName)]
struct NeighbourhoodRow {
    #[diesel(sql_type = Text)]
    force_id: String,
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    description: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    url_force: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    welcome_message: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    population: Option<String>,
    #[diesel(sql_type = Text)]
    contact_details: String,
    #[diesel(sql_type = Nullable<Text>)]
    centre_latitude: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    centre_longitude: Option<String>,
    #[diesel(sql_type = Text)]
    links: String,
    #[diesel(sql_type = Text)]
    locations: String,
    #[diesel(sql_type = Nullable<Text>)]
    boundary: Option<String>,
    #[diesel(sql_type = Text)]
    people: String,
    #[diesel(sql_type = Text)]
    events: String,
    #[diesel(sql_type = Text)]
    priorities: String,
}

impl NeighbourhoodRow {
    fn into_stored(self) -> anyhow::Result<StoredNeighbourhood> {
        let contact_details: ContactDetails = serde_json::from_str(&self.contact_details)?;
        let links: Vec<NeighbourhoodLink> = serde_json::from_str(&self.links)?;
        let locations: Vec<NeighbourhoodLocation> = serde_json::from_str(&self.locations)?;
        let centre = match (self.centre_latitude, self.centre_longitude) {
            (Some(latitude), Some(longitude)) => Some(LatLng { latitude, longitude }),
            _ => None,
        };
        let boundary: Option<Boundary> =
            self.boundary.as_deref().map(serde_json::from_str).transpose()?;
        Ok(StoredNeighbourhood {
            force_id: self.force_id,
            detail: NeighbourhoodDetail {
                url_force: self.url_force,
                contact_details,
                name: self.name,
                links,
                centre,
                locations,
                description: self.description,
                welcome_message: self.welcome_message,
                id: self.id,
                population: self.population,
            },
            boundary,
            people: serde_json::from_str(&self.people)?,
            events: serde_json::from_str(&self.events)?,
            priorities: serde_json::from_str(&self.priorities)?,
        })
    }
}
