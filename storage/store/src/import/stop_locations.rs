//! Snap points for stop-and-search rows, which give coordinates but no place name.
//!
//! police.uk anonymises stops onto the same map points as crimes, so a stop's coordinates
//! are a snap point's. Each distinct pair of coordinates of a file is mapped, once, when the
//! file is imported (`stops.location_id`):
//!
//! - to the lowest-id snap point with exactly those coordinates and a real name (street and
//!   outcome files give names; several names can share coordinates);
//! - failing that, to the snap point [`UNNAMED_LOCATION`] at those coordinates, created on
//!   first need (police.uk's own name for the place is not in the bulk files).
//!
//! The snapshot later shows a stop mapped to an unnamed point at a named point with the same
//! coordinates if a street or outcome file brought one after the stop file was imported.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Double, Integer, Text};

use super::locations::{LocationCache, ResolvedLocations};
use super::parse::ParsedFile;
use super::types::ArchiveFile;
use police_index::stops::UNNAMED_LOCATION;

#[derive(QueryableByName)]
struct ChosenRow {
    #[diesel(sql_type = BigInt)]
    ord: i64,
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Bool)]
    named: bool,
}

/// The chosen snap point per coordinates, among those visible to this transaction.
const CHOOSE: &str = "SELECT input.ord, chosen.id, chosen.name <> $3 AS named \
     FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS input(longitude, latitude, ord) \
     CROSS JOIN LATERAL ( \
         SELECT l.id, l.name FROM locations l \
         WHERE l.longitude = input.longitude AND l.latitude = input.latitude \
         ORDER BY l.name = $3, l.id LIMIT 1) AS chosen";

/// Store ids for the coordinates of a stop-and-search file, in the order of its location
/// table, and the (index, id) pairs that may be cached once the file commits: only choices of
/// a named snap point, which no later import can better (a later named point gets a higher
/// id), whereas an unnamed choice gives way to a named point as soon as one exists.
pub(super) fn resolve_stop_locations(
    conn: &mut PgConnection,
    file: &ArchiveFile,
    parsed: &ParsedFile,
    cache: &LocationCache,
) -> anyhow::Result<ResolvedLocations> {
    let keys = &parsed.locations.keys;
    let (mut ids, unknown) =
        LocationCache::partition(&cache.by_coordinates, keys, LocationCache::coordinates);
    if unknown.is_empty() {
        return Ok((ids, Vec::new()));
    }
    let choose = |conn: &mut PgConnection, indexes: &[usize]| -> QueryResult<Vec<ChosenRow>> {
        let longitudes: Vec<f64> = indexes.iter().map(|&i| keys[i].longitude).collect();
        let latitudes: Vec<f64> = indexes.iter().map(|&i| keys[i].latitude).collect();
        diesel::sql_query(CHOOSE)
            .bind::<Array<Double>, _>(longitudes)
            .bind::<Array<Double>, _>(latitudes)
            .bind::<Text, _>(UNNAMED_LOCATION)
            .load(conn)
    };

    let mut cacheable = Vec::new();
    let mut resolved = vec![false; unknown.len()];
    let mut record = |rows: Vec<ChosenRow>, indexes: &[usize], resolved: &mut [bool]| {
        for row in rows {
            let position = (row.ord - 1) as usize;
            let index = indexes[position];
            ids[index] = row.id;
            resolved[position] = true;
            if row.named {
                cacheable.push((index, row.id));
            }
        }
    };
    record(choose(conn, &unknown)?, &unknown, &mut resolved);

    let missing: Vec<usize> =
        unknown.iter().zip(&resolved).filter(|(_, done)| !**done).map(|(&i, _)| i).collect();
    if !missing.is_empty() {
        // New unnamed snap points, inserted in a fixed order (by coordinates) so that
        // concurrent imports needing the same ones wait for each other instead of
        // deadlocking; one created meanwhile by another import is simply found below.
        let location_type =
            if file.force.id == police_index::reference::BTP.id { "BTP" } else { "Force" };
        let longitudes: Vec<f64> = missing.iter().map(|&i| keys[i].longitude).collect();
        let latitudes: Vec<f64> = missing.iter().map(|&i| keys[i].latitude).collect();
        diesel::sql_query(
            "INSERT INTO locations (longitude, latitude, name, location_type) \
             SELECT longitude, latitude, $3, $4 \
             FROM unnest($1::float8[], $2::float8[]) AS input(longitude, latitude) \
             ORDER BY longitude, latitude ON CONFLICT DO NOTHING",
        )
        .bind::<Array<Double>, _>(&longitudes)
        .bind::<Array<Double>, _>(&latitudes)
        .bind::<Text, _>(UNNAMED_LOCATION)
        .bind::<Text, _>(location_type)
        .execute(conn)?;
        let mut found = vec![false; missing.len()];
        record(choose(conn, &missing)?, &missing, &mut found);
        anyhow::ensure!(
            found.iter().all(|&f| f),
            "could not resolve every stop location of the file"
        );
    }
    Ok((ids, cacheable))
}
