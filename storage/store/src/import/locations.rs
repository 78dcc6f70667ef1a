//! Store ids for the snap points of street and outcome files, and the cache of ids already
//! committed that the workers of one import share (stop-and-search files: see
//! `stop_locations`).

use std::collections::HashMap;
use std::sync::Mutex;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Integer, Text};

use super::parse::{LocationKey, ParsedFile};
use super::types::{ArchiveFile, FileKind};

/// Snap point ids already known to be committed, shared by the workers of one import so
/// that most files (outcomes repeat the street file's places) need no lookup.
#[derive(Default)]
pub(super) struct LocationCache {
    pub(super) ids: Mutex<HashMap<(u64, u64, String), i32>>,
    /// The named snap point chosen for a stop's coordinates (see `stop_locations`).
    pub(super) by_coordinates: Mutex<HashMap<(u64, u64), i32>>,
}

impl LocationCache {
    pub(super) fn key(location: &LocationKey) -> (u64, u64, String) {
        (location.longitude.to_bits(), location.latitude.to_bits(), location.name.clone())
    }

    pub(super) fn coordinates(location: &LocationKey) -> (u64, u64) {
        (location.longitude.to_bits(), location.latitude.to_bits())
    }

    /// Ids for the `keys` found in `map` (0 elsewhere), and the indexes of those not found.
    pub(super) fn partition<K: std::hash::Hash + Eq>(
        map: &Mutex<HashMap<K, i32>>,
        keys: &[LocationKey],
        key: impl Fn(&LocationKey) -> K,
    ) -> (Vec<i32>, Vec<usize>) {
        let known = map.lock().expect("no worker panics holding it");
        let mut ids = vec![0; keys.len()];
        let mut unknown = Vec::new();
        for (index, location) in keys.iter().enumerate() {
            match known.get(&key(location)) {
                Some(&id) => ids[index] = id,
                None => unknown.push(index),
            }
        }
        (ids, unknown)
    }

    /// Caches the snap points a file looked up (index in its location table, id), once its
    /// transaction has committed: only then are they certain to exist for everyone.
    pub(super) fn remember(
        &self,
        kind: FileKind,
        keys: &[LocationKey],
        looked_up: Vec<(usize, i32)>,
    ) {
        if kind == FileKind::StopAndSearch {
            let mut known = self.by_coordinates.lock().expect("no worker panics holding it");
            for (index, id) in looked_up {
                known.insert(LocationCache::coordinates(&keys[index]), id);
            }
            return;
        }
        let mut known = self.ids.lock().expect("no worker panics holding it");
        for (index, id) in looked_up {
            known.insert(LocationCache::key(&keys[index]), id);
        }
    }
}

#[derive(QueryableByName)]
struct LocationIdRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = BigInt)]
    ord: i64,
}

/// Store ids per entry of a file's location table, and the (index, id) pairs of those that
/// were looked up in the database.
pub(super) type ResolvedLocations = (Vec<i32>, Vec<(usize, i32)>);

/// Store ids for the file's snap points, in the order of its `LocationTable`, and which of
/// them had to be looked up in the database (the rest came from the cache). New snap points
/// are inserted in a fixed order (by coordinates and name), so that concurrent imports
/// sharing places wait for each other instead of deadlocking.
pub(super) fn resolve_locations(
    conn: &mut PgConnection,
    file: &ArchiveFile,
    parsed: &ParsedFile,
    cache: &LocationCache,
) -> anyhow::Result<ResolvedLocations> {
    let keys = &parsed.locations.keys;
    let (mut ids, unknown) = LocationCache::partition(&cache.ids, keys, LocationCache::key);
    if unknown.is_empty() {
        return Ok((ids, Vec::new()));
    }
    let longitudes: Vec<f64> = unknown.iter().map(|&i| keys[i].longitude).collect();
    let latitudes: Vec<f64> = unknown.iter().map(|&i| keys[i].latitude).collect();
    let names: Vec<&str> = unknown.iter().map(|&i| keys[i].name.as_str()).collect();
    let location_type =
        if file.force.id == police_index::reference::BTP.id { "BTP" } else { "Force" };
    // New snap points come back from the insert; ones that already existed are looked up.
    let inserted: Vec<LocationIdRow> = diesel::sql_query(
        "WITH input AS ( \
             SELECT * FROM unnest($1::float8[], $2::float8[], $3::text[]) WITH ORDINALITY \
                 AS input(longitude, latitude, name, ord)), \
         inserted AS ( \
             INSERT INTO locations (longitude, latitude, name, location_type) \
             SELECT longitude, latitude, name, $4 FROM input \
             ORDER BY longitude, latitude, name ON CONFLICT DO NOTHING \
             RETURNING id, longitude, latitude, name) \
         SELECT inserted.id, input.ord FROM inserted JOIN input USING (longitude, latitude, name)",
    )
    .bind::<Array<Double>, _>(&longitudes)
    .bind::<Array<Double>, _>(&latitudes)
    .bind::<Array<Text>, _>(&names)
    .bind::<Text, _>(location_type)
    .load(conn)?;
    let mut rows = inserted;
    if rows.len() < unknown.len() {
        rows = diesel::sql_query(
            "SELECT l.id, input.ord \
             FROM unnest($1::float8[], $2::float8[], $3::text[]) WITH ORDINALITY \
                  AS input(longitude, latitude, name, ord) \
             JOIN locations l USING (longitude, latitude, name)",
        )
        .bind::<Array<Double>, _>(&longitudes)
        .bind::<Array<Double>, _>(&latitudes)
        .bind::<Array<Text>, _>(&names)
        .load(conn)?;
    }
    anyhow::ensure!(rows.len() == unknown.len(), "could not resolve every snap point of the file");
    let mut looked_up = Vec::with_capacity(rows.len());
    for row in &rows {
        let index = unknown[(row.ord - 1) as usize];
        ids[index] = row.id;
        looked_up.push((index, row.id));
    }
    Ok((ids, looked_up))
}
